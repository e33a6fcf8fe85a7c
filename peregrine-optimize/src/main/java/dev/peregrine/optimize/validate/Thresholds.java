package dev.peregrine.optimize.validate;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Failure sentences whose numbers never contradict them through rounding: a value just under its
 * bar is printed with as many decimals as it takes to show it under ("0.98996 is below 0.99", never
 * "0.9900 is below 0.9900").
 */
final class Thresholds {

    private Thresholds() {
    }

    /** "{what} {value} is below {bar}", value printed so it reads as below the bar. */
    static String below(String what, double value, double bar) {
        return what + " " + apart(value, bar) + " is below " + plain(bar);
    }

    /** "{what} {value} is more than {bar}", value printed so it reads as above the bar. */
    static String above(String what, double value, double bar) {
        return what + " " + apart(value, bar) + ", more than " + plain(bar);
    }

    /** The value with 4 decimals, or more (up to 12) until it differs from the bar as printed. */
    static String apart(double value, double bar) {
        String v = null;
        for (int d = 4; d <= 12; d++) {
            BigDecimal rv = BigDecimal.valueOf(value).setScale(d, RoundingMode.HALF_EVEN);
            BigDecimal rb = BigDecimal.valueOf(bar).setScale(d, RoundingMode.HALF_EVEN);
            v = rv.toPlainString();
            if (rv.compareTo(rb) != 0) {
                return v;
            }
        }
        return BigDecimal.valueOf(value).toPlainString();
    }

    /** The bar as given, without trailing zeros (0.99, not 0.9900). */
    static String plain(double bar) {
        return BigDecimal.valueOf(bar).stripTrailingZeros().toPlainString();
    }
}
