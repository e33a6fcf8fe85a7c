package dev.peregrine.server;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads values out of the Prometheus text the server exposes. */
public final class Metrics {

    private Metrics() {
    }

    /**
     * The sum of every sample of {@code name} whose labels include all of {@code labels}
     * ({@code key=value} pairs), 0 when there is none.
     */
    public static double value(String text, String name, String... labels) {
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(text);
        double sum = 0;
        while (m.find()) {
            String set = m.group(1) == null ? "" : m.group(1);
            boolean all = true;
            for (String label : labels) {
                int eq = label.indexOf('=');
                String wanted = label.substring(0, eq) + "=\"" + label.substring(eq + 1) + "\"";
                if (!set.contains(wanted)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    public static double value(TestClient client, String name, String... labels) {
        return value(client.get("/metrics").body(), name, labels);
    }
}
