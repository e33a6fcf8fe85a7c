package dev.peregrine.onnx.check;

import java.util.Arrays;
import java.util.Objects;

/**
 * One input tensor for {@link OrtCheck}: a shape and its row-major values ({@code float[]},
 * {@code long[]} or {@code int[]}).
 */
public record Feed(long[] shape, Object data) {

    public Feed {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        int length;
        if (data instanceof float[] f) {
            length = f.length;
        } else if (data instanceof long[] l) {
            length = l.length;
        } else if (data instanceof int[] i) {
            length = i.length;
        } else {
            throw new IllegalArgumentException("feed data must be float[], long[] or int[], was "
                    + data.getClass().getSimpleName());
        }
        if (length != n) {
            throw new IllegalArgumentException("feed has " + length + " values but shape " + Arrays.toString(shape)
                    + " needs " + n);
        }
    }

    public static Feed floats(float[] data, long... shape) {
        return new Feed(shape, data);
    }

    public static Feed longs(long[] data, long... shape) {
        return new Feed(shape, data);
    }

    public static Feed ints(int[] data, long... shape) {
        return new Feed(shape, data);
    }
}
