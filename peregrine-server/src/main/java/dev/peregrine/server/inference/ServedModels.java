package dev.peregrine.server.inference;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The models the server answers for, in configuration order: where a name in a request becomes a
 * {@link ServedModel}, once, at the edge. A model that loads in the background (built on first use)
 * is configured but not ready until {@link #loaded}: requests for it, and requests by task that
 * only it could answer, fail with {@link ModelNotReadyException}. Thread-safe: readers see
 * immutable snapshots, replaced whole under a lock when a model is added or fails.
 */
public final class ServedModels implements ModelReadiness {

    private final Object lock = new Object();
    /** Every configured model's name, in configuration order. */
    private volatile List<String> order;
    /** Ready models, in configuration order. */
    private volatile List<ServedModel> ready;
    /** Models loading in the background, or whose background load failed. */
    private volatile Map<String, ModelState> pending = Map.of();

    public ServedModels(List<ServedModel> models) {
        this.ready = List.copyOf(models);
        this.order = ready.stream().map(ServedModel::name).toList();
    }

    /** The ready models, in the order they were configured. */
    public List<ServedModel> all() {
        return ready;
    }

    /** The ready model of this name, else the one with this alias. */
    public Optional<ServedModel> find(String nameOrAlias) {
        List<ServedModel> models = ready;
        for (ServedModel m : models) {
            if (m.name().equals(nameOrAlias)) {
                return Optional.of(m);
            }
        }
        for (ServedModel m : models) {
            if (m.answersTo(nameOrAlias)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /**
     * The model a request means.
     *
     * @param name the name or alias given, or null for the first ready model of {@code task}
     * @throws PeregrineException     MODEL_NOT_FOUND, or WRONG_TASK when the model cannot do {@code task}
     * @throws ModelNotReadyException when the model meant is still loading (or failed to)
     */
    public ServedModel resolve(String name, Task task) {
        Map<String, ModelState> waiting = pending;
        if (name == null) {
            for (ServedModel m : ready) {
                if (m.info().task() == task) {
                    return m;
                }
            }
            if (!waiting.isEmpty()) {
                throw notReady(waiting.values(), "no " + noun(task) + " is ready yet");
            }
            throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no " + noun(task) + " is served (models: "
                    + names() + ")");
        }
        Optional<ServedModel> found = find(name);
        if (found.isEmpty()) {
            for (ModelState w : waiting.values()) {
                if (w.answersTo(name)) {
                    throw notReady(List.of(w), "model '" + w.name() + "' is not ready");
                }
            }
            throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no model named '" + name + "' is served (models: "
                    + String.join(", ", order) + ")");
        }
        return requireTask(found.get(), task);
    }

    /** {@code m} if it does {@code task}. */
    public static ServedModel requireTask(ServedModel m, Task task) {
        if (m.info().task() != task) {
            throw new PeregrineException(ErrorKind.WRONG_TASK, "model '" + m.name() + "' is "
                    + (m.info().task() == Task.EMBEDDING ? "an embedding model" : "a classifier")
                    + " and cannot " + (task == Task.EMBEDDING ? "embed" : "classify"));
        }
        return m;
    }

    /** The ready models' names, comma-separated (for messages). */
    public String names() {
        return String.join(", ", ready.stream().map(ServedModel::name).toList());
    }

    /** Whether some configured model is still loading, or failed to. */
    public boolean anyPending() {
        return !pending.isEmpty();
    }

    /**
     * Registers a configured model that will load in the background.
     *
     * @param position its place in the configuration's order
     */
    void loading(String name, List<String> aliases, int position) {
        synchronized (lock) {
            Map<String, ModelState> next = new LinkedHashMap<>(pending);
            next.put(name, new ModelState(name, aliases, State.LOADING, ""));
            List<String> names = new ArrayList<>(order);
            names.add(Math.min(position, names.size()), name);
            order = List.copyOf(names);
            pending = next;
        }
    }

    /** A model loaded in the background is ready: it joins the others at its configured place. */
    void loaded(ServedModel model) {
        synchronized (lock) {
            List<ServedModel> next = new ArrayList<>();
            for (String name : order) {
                if (name.equals(model.name())) {
                    next.add(model);
                } else {
                    ready.stream().filter(m -> m.name().equals(name)).findFirst().ifPresent(next::add);
                }
            }
            Map<String, ModelState> left = new LinkedHashMap<>(pending);
            left.remove(model.name());
            ready = List.copyOf(next);
            pending = left;
        }
    }

    /** A background load failed: the model stays unavailable (503 naming the failure). */
    void failed(String name, String detail) {
        synchronized (lock) {
            ModelState was = pending.get(name);
            Map<String, ModelState> next = new LinkedHashMap<>(pending);
            next.put(name, new ModelState(name, was == null ? List.of() : was.aliases(), State.FAILED, detail));
            pending = next;
        }
    }

    @Override
    public List<ModelState> states() {
        List<ServedModel> now = ready;
        Map<String, ModelState> waiting = pending;
        List<ModelState> out = new ArrayList<>();
        for (String name : order) {
            Optional<ServedModel> m = now.stream().filter(r -> r.name().equals(name)).findFirst();
            if (m.isPresent()) {
                out.add(new ModelState(name, m.get().aliases(), State.READY, ""));
            } else if (waiting.containsKey(name)) {
                out.add(waiting.get(name));
            }
        }
        return out;
    }

    private static ModelNotReadyException notReady(Collection<ModelState> waiting, String what) {
        List<String> parts = new ArrayList<>();
        for (ModelState w : waiting) {
            parts.add(w.state() == State.FAILED ? "'" + w.name() + "' failed to load (" + w.detail() + ")"
                    : "'" + w.name() + "' is still loading (built on first use; retry shortly)");
        }
        return new ModelNotReadyException(what + ": " + String.join("; ", parts));
    }

    private static String noun(Task task) {
        return task == Task.EMBEDDING ? "embedding model" : "classifier";
    }
}
