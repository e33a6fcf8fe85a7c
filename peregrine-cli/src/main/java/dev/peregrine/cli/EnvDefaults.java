package dev.peregrine.cli;

import java.lang.reflect.AnnotatedElement;
import java.util.Objects;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * Resolves the environment variables in every option's declared default ({@code ${env:NAME}} and
 * {@code ${env:NAME:-fallback}}, fallbacks nested or not), for every command at once:
 * {@link Main#commandLine(String)} installs it on the whole command line with {@link #install}.
 *
 * <p>Why not picocli's own lookup: it takes a variable set to the empty string as a value, so
 * {@code PEREGRINE_THREADS=} (what an env file or a manifest with an empty value gives) made every
 * command fail with {@code '' is not an int}, and an empty {@code PEREGRINE_MODEL} became a model named
 * "". Here a variable that is empty counts as unset: its fallback applies, and without one the option
 * has no default. A variable's value is taken literally (picocli would read {@code $$} and
 * {@code ${...}} inside it as its own syntax).
 *
 * <p>Anything other than {@code ${env:...}} (literal text, other lookups) is left for picocli, which
 * interpolates what this returns as it would the declared default. A default that is a lone variable,
 * unset, with no fallback is left to picocli too (it has no default then, and picocli knows that in
 * every place it looks, such as "required"); the same with the variable empty is answered with
 * {@link Option#NULL_VALUE}, picocli's "no default".
 */
final class EnvDefaults implements IDefaultValueProvider {

    private static final String LOOKUP = "${env:";
    private static final String FALLBACK = ":-";

    private final UnaryOperator<String> environment;

    /** @param environment a variable's value by name, null when unset ({@code System::getenv}) */
    EnvDefaults(UnaryOperator<String> environment) {
        this.environment = Objects.requireNonNull(environment, "environment");
    }

    /**
     * Makes {@code cli} and all its subcommands (call it after adding them) resolve defaults with a
     * provider over {@code environment}.
     */
    static void install(CommandLine cli, UnaryOperator<String> environment) {
        cli.setDefaultValueProvider(new EnvDefaults(environment));
        // A boolean flag given on the command line is set to the opposite of its default, which picocli
        // reads from the provider without interpolating it: "no default" must read as false there, as
        // picocli's own missing default does.
        cli.registerConverter(Boolean.class, EnvDefaults::parseBoolean);
        cli.registerConverter(Boolean.TYPE, EnvDefaults::parseBoolean);
    }

    /** picocli's boolean rule (true or false, any case), and {@link Option#NULL_VALUE} (no default) as false. */
    static Boolean parseBoolean(String value) {
        if ("true".equalsIgnoreCase(value) || "false".equalsIgnoreCase(value)) {
            return Boolean.parseBoolean(value);
        }
        if (Option.NULL_VALUE.equals(value)) {
            return false;
        }
        throw new TypeConversionException("'" + value + "' is not a boolean");
    }

    /**
     * The declared default with its variables resolved; null when it names no variable, or is a lone
     * unset variable without fallback (picocli's own rules give the same); {@link Option#NULL_VALUE}
     * when it resolves to nothing because a variable is empty.
     */
    @Override
    public String defaultValue(ArgSpec arg) {
        String declared = declaredDefault(arg);
        if (declared == null || !declared.contains(LOOKUP)) {
            return null;
        }
        String resolved = resolve(declared);
        if (resolved != null) {
            return resolved;
        }
        return namesAnEmptyVariable(declared) ? Option.NULL_VALUE : null;
    }

    /** The default as written in the annotation (picocli keeps it only privately). */
    private static String declaredDefault(ArgSpec arg) {
        if (!(arg.userObject() instanceof AnnotatedElement element)) {
            return null;
        }
        Option option = element.getAnnotation(Option.class);
        if (option != null) {
            return option.defaultValue();
        }
        Parameters parameters = element.getAnnotation(Parameters.class);
        return parameters == null ? null : parameters.defaultValue();
    }

    /**
     * {@code text} with each {@code ${env:...}} replaced by its value (escaped, so picocli's pass
     * leaves it as it is) or its resolved fallback; null when the whole text is one variable that
     * resolves to nothing. Inside longer text such a variable becomes the empty string.
     */
    private String resolve(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        int start = text.indexOf(LOOKUP);
        while (start >= 0) {
            int bodyStart = start + LOOKUP.length();
            if (escaped(text, start)) {
                start = text.indexOf(LOOKUP, bodyStart);
                continue;
            }
            int end = closingBrace(text, bodyStart);
            if (end < 0) {
                break;   // unterminated: picocli's to judge
            }
            String body = text.substring(bodyStart, end);
            int fallbackAt = body.indexOf(FALLBACK);
            String value = environment.apply(fallbackAt < 0 ? body : body.substring(0, fallbackAt));
            String replacement;
            if (value != null && !value.isEmpty()) {
                replacement = value.replace("$", "$$");
            } else if (fallbackAt >= 0) {
                replacement = resolve(body.substring(fallbackAt + FALLBACK.length()));
            } else {
                replacement = null;
            }
            if (replacement == null) {
                if (start == 0 && end == text.length() - 1) {
                    return null;
                }
                replacement = "";
            }
            out.append(text, copied, start).append(replacement);
            copied = end + 1;
            start = text.indexOf(LOOKUP, copied);
        }
        return out.append(text, copied, text.length()).toString();
    }

    private boolean namesAnEmptyVariable(String text) {
        for (int start = text.indexOf(LOOKUP); start >= 0; start = text.indexOf(LOOKUP, start + 1)) {
            int nameStart = start + LOOKUP.length();
            int nameEnd = nameStart;
            while (nameEnd < text.length() && text.charAt(nameEnd) != '}' && !text.startsWith(FALLBACK, nameEnd)) {
                nameEnd++;
            }
            if ("".equals(environment.apply(text.substring(nameStart, nameEnd)))) {
                return true;
            }
        }
        return false;
    }

    /** picocli's escape: {@code $$} is a literal dollar, so an odd run of dollars just before {@code ${} escapes it. */
    private static boolean escaped(String text, int dollar) {
        int run = 0;
        for (int i = dollar - 1; i >= 0 && text.charAt(i) == '$'; i--) {
            run++;
        }
        return run % 2 == 1;
    }

    /** The brace closing the one opened just before {@code from}, counting nested ones; -1 when none. */
    private static int closingBrace(String text, int from) {
        int depth = 1;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;   // an escaped brace does not count
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }
}
