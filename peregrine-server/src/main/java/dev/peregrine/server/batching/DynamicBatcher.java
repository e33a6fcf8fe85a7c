package dev.peregrine.server.batching;

import dev.peregrine.core.tokenize.EncodedText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching for one model: callers' texts join one queue and leave it in forward passes cut
 * by size and padded-token budget, run by a fixed set of workers.
 *
 * <h2>Threads and ownership</h2>
 * <ul>
 *   <li>{@link #reserve} admits texts against two bounds, rejecting
 *       at once with {@link OverloadedException} (no caller ever waits for room): the count of texts
 *       ({@code maxQueuedTexts}, which bounds memory), and the estimated work, which bounds waiting:
 *       the tokens admitted and not yet run, times the cost per token measured on real passes
 *       ({@link WorkEstimate}), must finish before the new request's deadline. A request that would
 *       only time out in the queue is told at once to retry later (429) instead of taking room
 *       and answering 504 much later. A request arriving at an empty queue is always admitted.
 *       {@link Reservation#submit} posts the texts to an inbox.</li>
 *   <li>Every change (a submission, a worker going idle, a cancellation) is posted to an inbox, and
 *       the thread that posted it then drains the inbox into a {@link LengthGroupedQueue} and cuts
 *       batches into the workers' slots, under a lock only one thread holds at a time (a thread
 *       that finds it held leaves its event to the holder, which drains until the inbox is empty and
 *       looks again after letting go, so no event is stranded). So a text submitted while a worker
 *       is idle reaches it in one hand-off, and a worker that finishes a pass cuts its own next
 *       batch: no owner thread to wake in between (at one client on 2 cores that wake-up cost about
 *       0.1-0.2 ms of every request). A timer thread only wakes when a text's
 *       {@code maxQueueDelay} runs out. Batches are cut from a lookahead window of the
 *       {@value #LOOKAHEAD_BATCHES} x batch size x workers most urgent texts (earliest deadline
 *       first), so requests complete in about arrival order (see the queue's comment).</li>
 *   <li>Each worker has a slot of capacity one: while it runs a batch, texts that arrive are cut
 *       into its next one, in its slot, so a worker never waits for batch formation. Until the
 *       worker takes it, the prepared batch is taken back to add texts that arrived meanwhile, so
 *       batches grow with load even when {@code maxQueueDelay} is zero. Idle workers are served first, and
 *       an idle worker takes over a batch prepared for a busy one rather than wait beside it.</li>
 *   <li>Each worker owns its {@link BatchRunner} (one ONNX Runtime session) and calls it from its own
 *       thread only.</li>
 * </ul>
 *
 * <h2>Guarantees</h2>
 * Every submission gets exactly its own rows, in its own order, however its texts were split across
 * passes. Texts of submissions already done (cancelled, timed out, failed) or past their deadline
 * are skipped, not run (a submission past its deadline fails with a {@code TimeoutException}).
 * Memory is bounded by the admission limit. After {@link #shutdown()}, new work is refused and
 * every admitted text still runs; the threads end when the last is answered.
 */
public final class DynamicBatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);
    private static final Object WAKE = new Object();
    /** A submission ended early (cancelled, timed out): its queued texts should leave now, not when met. */
    private static final Object PURGE = new Object();
    private static final PlannedBatch POISON = new PlannedBatch(0);
    private static final long NEVER = Long.MAX_VALUE;
    /** The lookahead window, in full batches per worker: wide enough to group lengths, narrow enough to keep order. */
    static final int LOOKAHEAD_BATCHES = 4;

    private final String name;
    private final BatchingOptions options;
    private final long maxDelayNanos;
    private final Ticker ticker;
    private final BatchListener listener;
    private final List<BlockingQueue<PlannedBatch>> slots = new ArrayList<>();
    /** Per worker: inside a forward pass (set by the worker, read by the owner to prefer idle ones). */
    private final List<AtomicBoolean> running = new ArrayList<>();
    private final List<Thread> workers = new ArrayList<>();
    /** Sleeps until a text's {@code maxQueueDelay} runs out, then cuts (see {@link #time}). */
    private final Thread owner;
    private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
    /** Held by the one thread draining the inbox and cutting batches; guards {@link #queue} and {@link #seen}. */
    private final ReentrantLock cutting = new ReentrantLock();
    private final LengthGroupedQueue queue;
    private long seen;
    /** Set once the slots have been poisoned (every admitted text answered after shutdown, or a failure). */
    private volatile boolean finished;
    /** When the timer must cut, on the ticker's scale (the oldest text's delay runs out); {@link #NEVER}: no wait. */
    private volatile long dueNanos = NEVER;
    private final AtomicInteger admitted = new AtomicInteger();
    /** Tokens of the admitted texts (estimated until their request is tokenized and submitted). */
    private final AtomicLong admittedTokens = new AtomicLong();
    private final WorkEstimate estimate = new WorkEstimate();
    private final AtomicInteger unsubmitted = new AtomicInteger();
    /** Numbers the passes, for {@link PassObserver}s (a pass serves many requests: they share its number). */
    private final AtomicLong passes = new AtomicLong();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile int queued;
    private volatile long submissionsSeen;

    /**
     * Starts the owner thread and one worker per runner.
     *
     * @param name     used in thread names and messages
     * @param runners  one per worker; each is called from its worker's thread only
     * @param ticker   time for the waiting policy and the timings
     * @param listener told about every pass
     */
    public DynamicBatcher(String name, BatchingOptions options, List<? extends BatchRunner> runners,
                          Ticker ticker, BatchListener listener) {
        this.name = Objects.requireNonNull(name, "name");
        this.options = Objects.requireNonNull(options, "options");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.listener = Objects.requireNonNull(listener, "listener");
        if (runners.isEmpty()) {
            throw new IllegalArgumentException("a batcher needs at least one runner");
        }
        this.maxDelayNanos = options.maxQueueDelay().toNanos();
        for (int i = 0; i < runners.size(); i++) {
            BlockingQueue<PlannedBatch> slot = new ArrayBlockingQueue<>(1);
            BatchRunner runner = Objects.requireNonNull(runners.get(i), "runner");
            AtomicBoolean busy = new AtomicBoolean();
            slots.add(slot);
            running.add(busy);
            Thread worker = new Thread(() -> work(slot, busy, runner), "peregrine-" + name + "-worker-" + i);
            worker.setDaemon(true);
            workers.add(worker);
        }
        int lookahead = (int) Math.min(Integer.MAX_VALUE, (long) LOOKAHEAD_BATCHES * options.maxBatchSize() * runners.size());
        queue = new LengthGroupedQueue(this::release, options.passOverheadTokens(), lookahead);
        owner = new Thread(this::time, "peregrine-" + name + "-batcher");
        owner.setDaemon(true);
        owner.start();
        workers.forEach(Thread::start);
    }

    /** Admits {@code texts} texts with no deadline (only the count bound applies), or refuses at once. */
    public Reservation reserve(int texts) {
        return reserve(texts, Submission.NO_DEADLINE);
    }

    /**
     * Admits {@code texts} texts, or refuses at once.
     *
     * @param deadlineNanos when the request's answer is due, on the ticker's scale ({@code Long.MAX_VALUE}: none)
     * @throws OverloadedException    when admitting them would pass {@code maxQueuedTexts}, or when the
     *                                work already admitted, with theirs, is estimated not to finish
     *                                before {@code deadlineNanos}
     * @throws BatcherClosedException after {@link #shutdown()}
     */
    public Reservation reserve(int texts, long deadlineNanos) {
        return admit(texts, -1, deadlineNanos);
    }

    /**
     * Admits {@code texts} texts already tokenized, whose tokens are known (the windows of a long
     * text: see {@link WindowedRun}), or refuses at once, as {@link #reserve(int, long)} does.
     *
     * @param tokens their tokens in all
     */
    public Reservation reserve(int texts, long tokens, long deadlineNanos) {
        if (tokens < texts) {
            throw new IllegalArgumentException(texts + " texts cannot have " + tokens + " tokens");
        }
        return admit(texts, tokens, deadlineNanos);
    }

    /** @param knownTokens the texts' tokens, or -1 to estimate them */
    private Reservation admit(int texts, long knownTokens, long deadlineNanos) {
        if (texts < 1) {
            throw new IllegalArgumentException("texts must be >= 1, was " + texts);
        }
        // Counted before the closing check, so the owner thread cannot finish while this caller
        // still holds room it was given.
        unsubmitted.incrementAndGet();
        long tokens;
        try {
            if (closing.get()) {
                throw new BatcherClosedException("model '" + name + "' is shutting down");
            }
            tokens = knownTokens >= 0 ? knownTokens : estimate.tokensFor(texts);
            long queuedTokens = admittedTokens.get();
            if (deadlineNanos != Submission.NO_DEADLINE && queuedTokens > 0) {
                long drain = estimate.drainNanos(queuedTokens + tokens, workers.size());
                long left = deadlineNanos - ticker.read();
                if (drain > left) {
                    throw new OverloadedException(String.format(Locale.ROOT, "model '%s' is overloaded: the queued work"
                                    + " (about %.1f s) would not finish within this request's %.1f s; retry later",
                            name, drain / 1e9, Math.max(0, left) / 1e9));
                }
            }
            int limit = options.maxQueuedTexts();
            while (true) {
                int current = admitted.get();
                if (current + texts > limit) {
                    throw new OverloadedException("model '" + name + "' is overloaded: " + current
                            + " texts are waiting or running, the limit is " + limit + "; retry later");
                }
                if (admitted.compareAndSet(current, current + texts)) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            unsubmitted.decrementAndGet();
            post(WAKE);
            throw e;
        }
        admittedTokens.addAndGet(tokens);
        return new Reservation(texts, tokens);
    }

    /** {@link #reserve} then {@link Reservation#submit}. */
    public CompletableFuture<BatchResult> submit(List<EncodedText> texts) {
        return reserve(texts.size()).submit(texts);
    }

    /** Texts admitted and not yet answered (queued, prepared or running). */
    public int admittedTexts() {
        return admitted.get();
    }

    /** Tokens admitted and not yet answered (estimated for requests not yet tokenized). */
    public long admittedTokens() {
        return admittedTokens.get();
    }

    /** How long the admitted work would take by the current cost estimate. */
    public long estimatedWorkNanos() {
        return estimate.drainNanos(admittedTokens.get(), workers.size());
    }

    /** Texts waiting in the queue for a batch (as of the owner thread's last look). */
    public int queuedTexts() {
        return queued;
    }

    /** Submissions the owner thread has queued and dispatched so far (tests wait on it instead of sleeping). */
    long submissionsSeen() {
        return submissionsSeen;
    }

    public BatchingOptions options() {
        return options;
    }

    /** Workers, each running one forward pass at a time. */
    public int workers() {
        return workers.size();
    }

    /** Refuses new work from now on; admitted work still completes. Returns at once. */
    public void shutdown() {
        if (closing.compareAndSet(false, true)) {
            post(WAKE);
        }
    }

    /** Waits until every admitted text is answered and the threads have ended. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : allThreads()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedJoin(t, left);
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /** {@link #shutdown()}, then waits (up to a minute) for admitted work to finish. */
    @Override
    public void close() {
        shutdown();
        try {
            if (!awaitTermination(Duration.ofMinutes(1))) {
                LOG.warn("batcher for model '{}' did not finish its work within a minute", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private List<Thread> allThreads() {
        List<Thread> all = new ArrayList<>();
        all.add(owner);
        all.addAll(workers);
        return all;
    }

    /**
     * Room for some texts in the batcher, taken by {@link #reserve}. Exactly one of
     * {@link #submit} or {@link #cancel} must follow (a second call is ignored).
     */
    public final class Reservation {
        /** Room left: texts, and their tokens (estimated until they are submitted). */
        private int texts;
        private long estimatedTokens;
        private boolean closed;

        private Reservation(int texts, long estimatedTokens) {
            this.texts = texts;
            this.estimatedTokens = estimatedTokens;
        }

        /**
         * Queues the texts (at most the number reserved; unused room is released).
         *
         * @return completes with the results in the order given; cancel it to drop texts not yet run
         */
        public CompletableFuture<BatchResult> submit(List<EncodedText> encoded) {
            return submit(encoded, Submission.NO_DEADLINE);
        }

        /**
         * Queues the texts with a deadline: those not yet run when it passes are dropped, and the
         * returned future fails with a {@link java.util.concurrent.TimeoutException}. Closes the
         * reservation: room left unused is released.
         *
         * @param deadlineNanos on the batcher's ticker's scale; {@code Long.MAX_VALUE} for none
         */
        public CompletableFuture<BatchResult> submit(List<EncodedText> encoded, long deadlineNanos) {
            return submit(encoded, deadlineNanos, PassObserver.NONE);
        }

        /**
         * As {@link #submit(List, long)}, telling {@code observer} about each pass that holds any of
         * these texts (on the worker thread, after the pass).
         */
        public CompletableFuture<BatchResult> submit(List<EncodedText> encoded, long deadlineNanos,
                                                     PassObserver observer) {
            return queue(encoded, deadlineNanos, observer, true);
        }

        /**
         * Queues some of the texts and keeps the rest of the room for later parts, so one admitted
         * request can be queued a round at a time ({@link WindowedRun}); the last part goes to
         * {@link #submit(List, long, PassObserver)}, or {@link #cancel()} releases the room left.
         * Each part is a submission of its own, with its own future.
         *
         * @param part at least one text, at most the room left
         */
        public CompletableFuture<BatchResult> submitPart(List<EncodedText> part, long deadlineNanos,
                                                         PassObserver observer) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException("a part has at least one text");
            }
            return queue(part, deadlineNanos, observer, false);
        }

        private synchronized CompletableFuture<BatchResult> queue(List<EncodedText> encoded, long deadlineNanos,
                                                                 PassObserver observer, boolean last) {
            Objects.requireNonNull(encoded, "encoded");
            Objects.requireNonNull(observer, "observer");
            if (closed) {
                throw new IllegalStateException("reservation already used");
            }
            if (encoded.size() > texts) {
                throw new IllegalArgumentException(encoded.size() + " texts, but only " + texts + " reserved");
            }
            long share = last || encoded.size() == texts ? estimatedTokens
                    : estimatedTokens * encoded.size() / texts;
            texts -= encoded.size();
            estimatedTokens -= share;
            if (last) {
                closed = true;
                admitted.addAndGet(-texts);
                texts = 0;
            }
            long tokens = 0;
            for (EncodedText e : encoded) {
                tokens += WorkItem.lengthOf(e);
            }
            admittedTokens.addAndGet(tokens - share);
            estimate.submitted(encoded.size(), tokens);
            Submission submission = new Submission(List.copyOf(encoded), ticker.read(), deadlineNanos, observer);
            if (encoded.isEmpty()) {
                submission.future.complete(new BatchResult(List.of(), 0, 0));
                unsubmitted.decrementAndGet();
                post(WAKE);
            } else {
                // Its texts count as queued work for admission until they leave: make them leave at once.
                submission.future.whenComplete((v, e) -> {
                    if (e != null) {
                        post(PURGE);
                    }
                });
                inbox.add(submission);
                if (last) {
                    unsubmitted.decrementAndGet();
                }
                cut();
            }
            return submission.future;
        }

        /** Releases the room left without queuing anything more. */
        public synchronized void cancel() {
            if (!closed) {
                closed = true;
                admitted.addAndGet(-texts);
                admittedTokens.addAndGet(-estimatedTokens);
                texts = 0;
                estimatedTokens = 0;
                unsubmitted.decrementAndGet();
                post(WAKE);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Cutting batches: done by whichever thread posted an event

    /** Posts an event and cuts. */
    private void post(Object event) {
        inbox.add(event);
        cut();
    }

    /**
     * Drains the inbox and cuts batches while there are events and no other thread is at it. The
     * holder drains until the inbox is empty and looks again after letting go, so an event posted
     * while it held the lock is never left behind. A thread already cutting (a callback of a text it
     * dropped, posting an event) leaves the event to its own loop.
     */
    private void cut() {
        if (cutting.isHeldByCurrentThread()) {
            return;
        }
        while (!inbox.isEmpty() && !finished && cutting.tryLock()) {
            try {
                step();
            } finally {
                cutting.unlock();
            }
        }
    }

    /** Under {@link #cutting}: queues what the inbox holds and fills the workers' slots. */
    private void step() {
        try {
            boolean purge = false;
            Object event;
            while ((event = inbox.poll()) != null) {
                if (event == PURGE) {
                    purge = true;
                } else if (event instanceof Submission s) {
                    for (int i = 0; i < s.texts.size(); i++) {
                        queue.add(new WorkItem(s, i, s.submittedNanos));
                    }
                    seen++;
                }
            }
            queue.advance(ticker.read());
            if (purge) {
                queue.purge();
            }
            boolean waitingForDelay = dispatch(queue);
            queued = queue.size();
            submissionsSeen = seen;
            long due = waitingForDelay ? queue.deadline(maxDelayNanos) : NEVER;
            if (due != dueNanos) {
                dueNanos = due;
                LockSupport.unpark(owner);
            }
            if (closing.get() && unsubmitted.get() == 0 && inbox.isEmpty() && queue.isEmpty()
                    && slots.stream().allMatch(BlockingQueue::isEmpty)) {
                // Every admitted text has run or is running (a batch still in a slot finishes first:
                // its worker cuts again when it is done, and that finishes).
                finish();
            }
        } catch (RuntimeException | Error e) {
            LOG.error("batcher for model '{}' failed; failing its queued requests", name, e);
            closing.set(true);
            Object event;
            while ((event = inbox.poll()) != null) {
                if (event instanceof Submission s) {
                    s.fail(e);
                    for (int i = 0; i < s.texts.size(); i++) {
                        release(new WorkItem(s, i, s.submittedNanos));
                    }
                }
            }
            queue.purge();
            PlannedBatch rest;
            while ((rest = queue.cut(Integer.MAX_VALUE, Integer.MAX_VALUE)) != null) {
                for (WorkItem item : rest.items) {
                    item.owner.fail(e);
                    release(item);
                }
            }
            finish();
        }
    }

    /**
     * Once, under {@link #cutting}: nothing more will be queued; the workers end after the batches in
     * their slots, and the timer ends.
     */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        queued = 0;
        for (BlockingQueue<PlannedBatch> slot : slots) {
            // Never waits on a worker (which may be this very thread): only after a failure can a slot
            // still hold a batch, and its texts fail with the rest.
            while (!slot.offer(POISON)) {
                PlannedBatch left = slot.poll();
                if (left != null) {
                    for (WorkItem item : left.items) {
                        item.owner.fail(new BatcherClosedException("model '" + name + "' stopped batching"));
                        release(item);
                    }
                }
            }
        }
        LockSupport.unpark(owner);
    }

    /**
     * The timer thread: sleeps until the oldest text's {@code maxQueueDelay} runs out (by the
     * ticker), then cuts; with no delay set it only sleeps. Ends when the batcher is finished.
     */
    private void time() {
        while (!finished) {
            long due = dueNanos;
            if (due == NEVER) {
                LockSupport.park(this);
                continue;
            }
            long wait = due - ticker.read();
            if (wait > 0) {
                // A ticker that is not the clock (tests) may jump: look again at least every 10 ms.
                LockSupport.parkNanos(this, Math.min(wait, TimeUnit.MILLISECONDS.toNanos(10)));
            } else {
                dueNanos = NEVER;
                post(WAKE);
            }
        }
    }

    /**
     * Fills free slots and grows prepared batches. Returns true when texts wait only for their
     * delay to run out (a worker is free), so the owner must wake up by then even if nothing
     * arrives; false when they wait for a worker, whose slot-freed wake-up comes through the inbox.
     *
     * <p>Idle workers come first: a batch for an idle worker starts at once, one prepared for a busy
     * worker waits for its pass to end. Serving slots in a fixed order instead lets the first worker
     * hoard the work (its prepared batch absorbs every new text) while the others stand idle.
     */
    private boolean dispatch(LengthGroupedQueue queue) {
        int maxSize = options.maxBatchSize();
        int maxTokens = options.maxBatchTokens();
        // Idle workers with an empty slot: give them a new batch, or one prepared for a busy worker.
        for (int i = 0; i < slots.size(); i++) {
            BlockingQueue<PlannedBatch> slot = slots.get(i);
            if (running.get(i).get() || !slot.isEmpty()) {
                continue;
            }
            if (queue.isEmpty()) {
                PlannedBatch waiting = takePreparedOfBusyWorker();
                if (waiting == null) {
                    return false;
                }
                slot.add(waiting);
                continue;
            }
            if (!queue.ready(ticker.read(), maxDelayNanos, maxSize, maxTokens)) {
                return true;
            }
            PlannedBatch batch = queue.cut(maxSize, maxTokens);
            if (batch != null) {
                slot.add(batch);
            }
        }
        // Busy workers: prepare their next batch, or grow the one prepared.
        for (BlockingQueue<PlannedBatch> slot : slots) {
            if (queue.isEmpty()) {
                return false;
            }
            PlannedBatch prepared = slot.poll();
            if (prepared != null) {
                // The worker has not taken it yet: let it grow with what arrived since.
                queue.extend(prepared, maxSize, maxTokens);
                slot.add(prepared);
                continue;
            }
            if (!queue.ready(ticker.read(), maxDelayNanos, maxSize, maxTokens)) {
                return true;
            }
            PlannedBatch batch = queue.cut(maxSize, maxTokens);
            if (batch != null) {
                slot.add(batch);
            }
        }
        return false;
    }

    /** Takes back a batch still waiting in a busy worker's slot, or null. */
    private PlannedBatch takePreparedOfBusyWorker() {
        for (int j = 0; j < slots.size(); j++) {
            if (running.get(j).get()) {
                PlannedBatch prepared = slots.get(j).poll();
                if (prepared != null) {
                    return prepared;
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // The workers

    private void work(BlockingQueue<PlannedBatch> slot, AtomicBoolean busy, BatchRunner runner) {
        while (true) {
            PlannedBatch batch;
            try {
                batch = slot.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (batch == POISON) {
                return;
            }
            busy.set(true);
            try {
                run(batch, runner);
            } finally {
                // Idle again: this thread cuts its worker's next batch (or takes back one prepared for it).
                busy.set(false);
                post(WAKE);
            }
        }
    }

    /** Tells each observed submission in the pass about it, once (before its rows complete it). */
    private void observe(PlannedBatch pass, long start, long end) {
        long id = 0;
        List<Submission> told = null;
        for (WorkItem item : pass.items) {
            Submission s = item.owner;
            if (s.observer == PassObserver.NONE || (told != null && told.contains(s))) {
                continue;
            }
            if (told == null) {
                told = new ArrayList<>(2);
                id = passes.incrementAndGet();
            }
            told.add(s);
            int own = 0;
            for (WorkItem other : pass.items) {
                own += other.owner == s ? 1 : 0;
            }
            s.observer.pass(id, pass.size(), pass.longest, own, start, end);
        }
    }

    private void run(PlannedBatch batch, BatchRunner runner) {
        PlannedBatch live = new PlannedBatch(batch.anchorLength);
        long now = ticker.read();
        for (WorkItem item : batch.items) {
            if (item.owner.doneAt(now)) {
                release(item);
            } else {
                live.add(item);
            }
        }
        if (live.size() == 0) {
            return;
        }
        // The batch's admission is released before its answers are handed out: a caller that has its
        // answer never sees its own texts still counted as admitted work.
        boolean released = false;
        try {
            long start = ticker.read();
            float[][] rows;
            try {
                rows = runner.run(live.texts());
                if (rows.length != live.size()) {
                    throw new IllegalStateException("runner returned " + rows.length + " rows for " + live.size() + " texts");
                }
            } catch (RuntimeException | Error e) {
                released = leave(live);
                for (WorkItem item : live.items) {
                    item.owner.fail(e);
                }
                return;
            }
            long end = ticker.read();
            estimate.pass(live.tokens, end - start);
            listener.onBatch(live.size(), live.paddedTokens(), end - start);
            observe(live, start, end);
            released = leave(live);
            for (int k = 0; k < rows.length; k++) {
                WorkItem item = live.items.get(k);
                item.owner.complete(item.index, rows[k], start, end);
            }
        } finally {
            if (!released) {
                leave(live);
            }
            // The worker cuts its next batch once it is marked idle (see work).
        }
    }

    /** A batch's texts leave the admitted work; returns true. */
    private boolean leave(PlannedBatch live) {
        admitted.addAndGet(-live.size());
        admittedTokens.addAndGet(-live.tokens);
        return true;
    }

    /** One text leaves without running (dropped, or failed with the owner thread). */
    private void release(WorkItem item) {
        admitted.decrementAndGet();
        admittedTokens.addAndGet(-item.length);
    }

    @Override
    public String toString() {
        return "DynamicBatcher[" + name + ", " + workers.size() + " workers]";
    }
}
