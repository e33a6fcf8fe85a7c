package dev.peregrine.server.http;

/**
 * Writes floats as JSON numbers into a byte array, without a {@code String} per number: vectors
 * are most of every embedding response, and {@code Float.toString} (which Jackson's
 * {@code writeNumber(float)} calls) allocates two objects per float.
 *
 * <h2>Why the digits round-trip</h2>
 * A number is written with at most nine significant digits, rounded from its exact double value.
 * Nine decimal digits always identify a float: the rounding error is at most half a unit in the
 * ninth digit, 5e-9 of the value, well inside half the float's spacing (at least 2^-25, 3e-8, of
 * the value); computing the digits in double arithmetic adds an error near 1e-16, which changes
 * nothing. Seven or eight digits are used instead when that decimal lies inside the float's
 * rounding interval with a wide margin, and trailing zeros are dropped, so numbers are about as
 * short as {@code Float.toString}'s ({@code 0.001}, not {@code 0.00100000005}). Either way
 * {@code Float.parseFloat} of the text gives back the same bits (the test checks hundreds of thousands).
 * Non-finite values are written as Jackson writes them by default: the strings {@code "NaN"},
 * {@code "Infinity"}, {@code "-Infinity"}.
 */
final class FloatText {

    /** The most bytes one float takes: sign, 9 digits, point, "E-45", with room to spare. */
    static final int MAX_BYTES = 24;

    private static final double[] POWERS = new double[100];
    private static final long[] POWERS_OF_TEN = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
            100_000_000L, 1_000_000_000L};

    static {
        for (int i = 0; i < POWERS.length; i++) {
            POWERS[i] = Double.parseDouble("1e" + (i - 50));
        }
    }

    private FloatText() {
    }

    /** 10^e as a double, for e in -50..49. */
    private static double pow10(int e) {
        return POWERS[e + 50];
    }

    /**
     * Writes {@code v} at {@code out[pos]} (at least {@link #MAX_BYTES} free).
     *
     * @return the position after the number
     */
    static int write(float v, byte[] out, int pos) {
        if (Float.isNaN(v)) {
            return ascii("\"NaN\"", out, pos);
        }
        if (Float.isInfinite(v)) {
            return ascii(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", out, pos);
        }
        if (Float.floatToRawIntBits(v) < 0) {
            out[pos++] = '-';
        }
        double d = Math.abs((double) v);
        if (d == 0) {
            out[pos++] = '0';
            out[pos++] = '.';
            out[pos++] = '0';
            return pos;
        }
        int e10 = (int) Math.floor(Math.log10(d));
        // log10 may be off by one next to a power of ten: fix it against the exact comparison.
        if (d >= pow10(e10 + 1)) {
            e10++;
        } else if (d < pow10(e10)) {
            e10--;
        }
        // The fewest of seven, eight or nine significant digits that identify the float (see the
        // class comment); nine always do.
        long digits = 0;
        int count = 0;
        int e = e10;
        for (int p = 7; p <= 9; p++) {
            long candidate = Math.round(scale(d, p - 1 - e10));
            int ce = e10;
            if (candidate >= POWERS_OF_TEN[p]) {
                candidate /= 10;
                ce++;
            }
            if (p == 9 || identifies(candidate, ce - (p - 1), v, d)) {
                digits = candidate;
                count = p;
                e = ce;
                break;
            }
        }
        e10 = e;
        while (digits % 10 == 0) {
            digits /= 10;
            count--;
        }
        if (e10 >= -3 && e10 < 7) {
            return plain(digits, count, e10, out, pos);
        }
        return scientific(digits, count, e10, out, pos);
    }

    /** {@code x} times 10^e, in two steps where one factor alone would leave the range of doubles. */
    private static double scale(double x, int e) {
        if (e > 40) {
            return x * pow10(40) * pow10(e - 40);
        }
        if (e < -40) {
            return x * pow10(-40) * pow10(e + 40);
        }
        return x * pow10(e);
    }

    /**
     * Whether the decimal {@code digits} x 10^{@code e} parses back to the float {@code v} (whose
     * magnitude, as a double, is {@code d}): it must lie inside v's rounding interval, here with a
     * margin far wider than the error of computing it in doubles, so a decimal near the interval's
     * edge is refused (and nine digits used) rather than guessed at.
     */
    private static boolean identifies(long digits, int e, float v, double d) {
        double c = scale(digits, e);
        float f = Math.abs(v);
        double half = (c < d ? Math.ulp(Math.nextDown(f)) : Math.ulp(f)) / 2.0;
        return Math.abs(c - d) <= half * (1 - 1e-6);
    }

    /** d.ddddE[-]x. */
    private static int scientific(long digits, int count, int e10, byte[] out, int pos) {
        int first = pos;
        pos = digitsAt(digits, count, out, pos + 1);
        out[first] = out[first + 1];
        out[first + 1] = '.';
        if (count == 1) {
            out[pos++] = '0';
        }
        out[pos++] = 'E';
        if (e10 < 0) {
            out[pos++] = '-';
            e10 = -e10;
        }
        if (e10 >= 10) {
            out[pos++] = (byte) ('0' + e10 / 10);
        }
        out[pos++] = (byte) ('0' + e10 % 10);
        return pos;
    }

    /** The digits with the point placed by {@code e10} (-3 <= e10 < 7), at least one digit after it. */
    private static int plain(long digits, int count, int e10, byte[] out, int pos) {
        if (e10 < 0) {
            out[pos++] = '0';
            out[pos++] = '.';
            for (int i = -1; i > e10; i--) {
                out[pos++] = '0';
            }
            return digitsAt(digits, count, out, pos);
        }
        int intDigits = e10 + 1;
        if (count <= intDigits) {
            pos = digitsAt(digits, count, out, pos);
            for (int i = count; i < intDigits; i++) {
                out[pos++] = '0';
            }
            out[pos++] = '.';
            out[pos++] = '0';
            return pos;
        }
        // Write all digits one place to the right, then move the integer part left over the gap.
        int start = pos;
        int end = digitsAt(digits, count, out, pos + 1);
        for (int i = 0; i < intDigits; i++) {
            out[start + i] = out[start + 1 + i];
        }
        out[start + intDigits] = '.';
        return end;
    }

    /** The {@code count} decimal digits of {@code digits} at {@code pos}. */
    private static int digitsAt(long digits, int count, byte[] out, int pos) {
        int end = pos + count;
        for (int i = end - 1; i >= pos; i--) {
            out[i] = (byte) ('0' + (int) (digits % 10));
            digits /= 10;
        }
        return end;
    }

    private static int ascii(String s, byte[] out, int pos) {
        for (int i = 0; i < s.length(); i++) {
            out[pos++] = (byte) s.charAt(i);
        }
        return pos;
    }
}
