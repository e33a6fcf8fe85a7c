package dev.peregrine.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Accuracy, macro-F1, per-class precision and recall, and the confusion matrix of predicted
 * against true labels.
 *
 * @param labels    class names, in index order
 * @param confusion {@code confusion[truth][predicted]} counts
 */
public record ClassificationMetrics(List<String> labels, long[][] confusion) {

    public ClassificationMetrics {
        labels = List.copyOf(labels);
        Objects.requireNonNull(confusion, "confusion");
    }

    public static ClassificationMetrics of(List<String> labels, int[] truth, int[] predicted) {
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException("truth and predictions differ in length");
        }
        long[][] confusion = new long[labels.size()][labels.size()];
        for (int i = 0; i < truth.length; i++) {
            confusion[truth[i]][predicted[i]]++;
        }
        return new ClassificationMetrics(labels, confusion);
    }

    public long total() {
        long n = 0;
        for (long[] row : confusion) {
            for (long c : row) {
                n += c;
            }
        }
        return n;
    }

    public double accuracy() {
        long correct = 0;
        for (int i = 0; i < confusion.length; i++) {
            correct += confusion[i][i];
        }
        long n = total();
        return n == 0 ? 0 : (double) correct / n;
    }

    public double precision(int label) {
        long predicted = 0;
        for (long[] row : confusion) {
            predicted += row[label];
        }
        return predicted == 0 ? 0 : (double) confusion[label][label] / predicted;
    }

    public double recall(int label) {
        long actual = 0;
        for (long c : confusion[label]) {
            actual += c;
        }
        return actual == 0 ? 0 : (double) confusion[label][label] / actual;
    }

    public double f1(int label) {
        double p = precision(label);
        double r = recall(label);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double macroF1() {
        double sum = 0;
        for (int i = 0; i < labels.size(); i++) {
            sum += f1(i);
        }
        return sum / labels.size();
    }

    /** A readable report: accuracy, macro-F1, a per-class table and the confusion matrix. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "accuracy %.4f   macro-F1 %.4f   (%d texts)%n", accuracy(), macroF1(), total()));
        int width = Math.max(9, labels.stream().mapToInt(String::length).max().orElse(5) + 1);
        sb.append(String.format(Locale.ROOT, "%-" + width + "s %9s %9s %9s %8s%n", "class", "precision", "recall", "f1", "support"));
        for (int i = 0; i < labels.size(); i++) {
            long support = 0;
            for (long c : confusion[i]) {
                support += c;
            }
            sb.append(String.format(Locale.ROOT, "%-" + width + "s %9.4f %9.4f %9.4f %8d%n", labels.get(i), precision(i),
                    recall(i), f1(i), support));
        }
        sb.append("confusion (rows: true, columns: predicted)").append(System.lineSeparator());
        sb.append(String.format(Locale.ROOT, "%-" + width + "s", ""));
        for (String l : labels) {
            sb.append(String.format(Locale.ROOT, " %9s", abbreviate(l)));
        }
        sb.append(System.lineSeparator());
        for (int i = 0; i < labels.size(); i++) {
            sb.append(String.format(Locale.ROOT, "%-" + width + "s", labels.get(i)));
            for (int j = 0; j < labels.size(); j++) {
                sb.append(String.format(Locale.ROOT, " %9d", confusion[i][j]));
            }
            sb.append(System.lineSeparator());
        }
        return sb.toString();
    }

    private static String abbreviate(String label) {
        return label.length() <= 9 ? label : label.substring(0, 9);
    }

    /** Per-class rows for JSON reports. */
    public List<ClassRow> classes() {
        List<ClassRow> rows = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            long support = 0;
            for (long c : confusion[i]) {
                support += c;
            }
            rows.add(new ClassRow(labels.get(i), precision(i), recall(i), f1(i), support));
        }
        return rows;
    }

    /** One class's scores. */
    public record ClassRow(String label, double precision, double recall, double f1, long support) {
    }
}
