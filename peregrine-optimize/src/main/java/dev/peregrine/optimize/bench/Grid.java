package dev.peregrine.optimize.bench;

import java.util.ArrayList;
import java.util.List;

/** Aligned text tables and Markdown tables for reports. */
public final class Grid {

    private Grid() {
    }

    /** The first column left-aligned, the others right-aligned. */
    public static String render(String[] header, List<String[]> rows, boolean markdown) {
        StringBuilder b = new StringBuilder();
        if (markdown) {
            b.append("| ").append(String.join(" | ", header)).append(" |\n|");
            for (int c = 0; c < header.length; c++) {
                b.append(c == 0 ? " --- |" : " ---: |");
            }
            b.append('\n');
            for (String[] row : rows) {
                b.append("| ").append(String.join(" | ", row)).append(" |\n");
            }
            return b.toString();
        }
        int[] width = new int[header.length];
        List<String[]> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (String[] row : all) {
            for (int c = 0; c < row.length; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        for (String[] row : all) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                String fill = " ".repeat(width[c] - row[c].length());
                line.append(c == 0 ? row[c] + fill : "  " + fill + row[c]);
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }
}
