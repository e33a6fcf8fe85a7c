package dev.peregrine.loadtest;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One load test.
 *
 * @param url             the endpoint, e.g. {@code http://127.0.0.1:8080/embed}; the body format
 *                        follows its path ({@code /embed}, {@code /predict}, {@code /classify},
 *                        {@code /v1/embeddings}, {@code /v2/models/NAME/infer})
 * @param concurrency     closed loop: this many clients, each sending its next request when the
 *                        last is answered; 0 when {@code rate} is used
 * @param rate            open loop: requests per second on a fixed schedule, whatever the answers;
 *                        0 when {@code concurrency} is used
 * @param duration        how long to send (after the warm-up)
 * @param warmup          how long to send first without recording
 * @param texts           the texts to send, cycled in order
 * @param textsPerRequest texts in each request
 * @param model           the model field to send (OpenAI route; others send it when non-null)
 * @param apiKey          a Bearer token, or null
 * @param maxInFlight     open loop: most requests outstanding; beyond it the schedule waits (and
 *                        the waiting shows in the latencies, measured from the intended send time)
 * @param timeout         per request
 * @param bypassCache     send {@code Cache-Control: no-cache}, so the server runs the model for every
 *                        text instead of answering repeated texts from its prediction cache
 */
public record LoadTestConfig(URI url, int concurrency, double rate, Duration duration, Duration warmup,
                             List<String> texts, int textsPerRequest, String model, String apiKey, int maxInFlight,
                             Duration timeout, boolean bypassCache) {

    /** A test that lets the server's cache answer (as before the bypass existed). */
    public LoadTestConfig(URI url, int concurrency, double rate, Duration duration, Duration warmup,
                          List<String> texts, int textsPerRequest, String model, String apiKey, int maxInFlight,
                          Duration timeout) {
        this(url, concurrency, rate, duration, warmup, texts, textsPerRequest, model, apiKey, maxInFlight, timeout,
                false);
    }

    public LoadTestConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(timeout, "timeout");
        texts = List.copyOf(texts);
        if (url.getScheme() == null || !url.getScheme().startsWith("http") || url.getHost() == null) {
            throw new IllegalArgumentException("url must be an http(s) URL with a host, was " + url);
        }
        if ((concurrency > 0) == (rate > 0)) {
            throw new IllegalArgumentException("give exactly one of a concurrency (closed loop) or a rate (open loop)");
        }
        if (concurrency < 0 || rate < 0) {
            throw new IllegalArgumentException("concurrency and rate must not be negative");
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration must be positive, was " + duration);
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("warm-up must not be negative");
        }
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to send");
        }
        if (textsPerRequest < 1) {
            throw new IllegalArgumentException("texts per request must be >= 1, was " + textsPerRequest);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max in flight must be >= 1, was " + maxInFlight);
        }
    }

    public boolean openLoop() {
        return rate > 0;
    }

    /** A few plain sentences of varied length, for a test with no input file. */
    public static List<String> defaultTexts() {
        return List.of(
                "Where is my invoice for last month?",
                "The app crashes every time I open the settings page on my phone.",
                "Can I change the delivery address after the order has shipped?",
                "Thanks, that fixed it.",
                "I was charged twice for the same subscription and would like a refund of the second payment.",
                "How do I export my data to a spreadsheet?",
                "The password reset email never arrives, even in the spam folder.",
                "Do you ship to Norway?",
                "Our team of twelve needs shared billing and a single administrator account for all seats.",
                "Is there a student discount?",
                "The printer prints blank pages since the last driver update, although the ink cartridges are full.",
                "Please cancel my account.");
    }
}
