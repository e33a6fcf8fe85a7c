package dev.peregrine.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Conversions between Java arrays and ONNX {@link TensorProto}s. Tensors are written as
 * little-endian {@code raw_data} (the compact form exporters use); both raw and typed fields are
 * read. Tensors whose data lives in an external file must be loaded with
 * {@link OnnxModel#read(java.nio.file.Path)} first, which inlines it.
 */
public final class Tensors {

    private Tensors() {
    }

    public static TensorProto floats(String name, float[] values, long... dims) {
        checkSize(name, values.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        return raw(name, DataType.FLOAT, buf, dims);
    }

    public static TensorProto longs(String name, long[] values, long... dims) {
        checkSize(name, values.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(values);
        return raw(name, DataType.INT64, buf, dims);
    }

    public static TensorProto ints(String name, int[] values, long... dims) {
        checkSize(name, values.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asIntBuffer().put(values);
        return raw(name, DataType.INT32, buf, dims);
    }

    /** An int8 tensor ({@code signed = true}) or uint8 tensor from the low 8 bits of each value. */
    public static TensorProto bytes(String name, byte[] values, boolean signed, long... dims) {
        checkSize(name, values.length, dims);
        return raw(name, signed ? DataType.INT8 : DataType.UINT8, ByteBuffer.wrap(values), dims);
    }

    /** A float16 tensor from the IEEE half-precision bit patterns in {@code halfBits}. */
    public static TensorProto halves(String name, short[] halfBits, long... dims) {
        checkSize(name, halfBits.length, dims);
        ByteBuffer buf = ByteBuffer.allocate(halfBits.length * Short.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asShortBuffer().put(halfBits);
        return raw(name, DataType.FLOAT16, buf, dims);
    }

    /** A scalar (rank 0) float. */
    public static TensorProto scalar(String name, float value) {
        return floats(name, new float[] {value});
    }

    /** A scalar (rank 0) int64. */
    public static TensorProto scalar(String name, long value) {
        return longs(name, new long[] {value});
    }

    private static TensorProto raw(String name, DataType type, ByteBuffer data, long... dims) {
        data.rewind();
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(data));
        for (long d : dims) {
            b.addDims(d);
        }
        return b.build();
    }

    /** Number of elements the tensor's dims describe (1 for a scalar). */
    public static long elementCount(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            n *= d;
        }
        return n;
    }

    public static long[] dims(TensorProto t) {
        return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** The values of a FLOAT tensor, whichever field holds them. */
    public static float[] toFloats(TensorProto t) {
        requireType(t, DataType.FLOAT);
        requireInline(t);
        int n = Math.toIntExact(elementCount(t));
        if (!t.getRawData().isEmpty()) {
            float[] out = new float[n];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
        List<Float> typed = t.getFloatDataList();
        float[] out = new float[typed.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = typed.get(i);
        }
        return out;
    }

    /** The values of an INT64 tensor, whichever field holds them. */
    public static long[] toLongs(TensorProto t) {
        requireType(t, DataType.INT64);
        requireInline(t);
        int n = Math.toIntExact(elementCount(t));
        if (!t.getRawData().isEmpty()) {
            long[] out = new long[n];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }
        return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
    }

    /** The values of an INT32 tensor, whichever field holds them. */
    public static int[] toInts(TensorProto t) {
        requireType(t, DataType.INT32);
        requireInline(t);
        int n = Math.toIntExact(elementCount(t));
        if (!t.getRawData().isEmpty()) {
            int[] out = new int[n];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
            return out;
        }
        return t.getInt32DataList().stream().mapToInt(Integer::intValue).toArray();
    }

    private static void requireType(TensorProto t, DataType type) {
        if (t.getDataType() != type.getNumber()) {
            throw new IllegalArgumentException("tensor '" + t.getName() + "' has type "
                    + DataType.forNumber(t.getDataType()) + ", expected " + type);
        }
    }

    private static void requireInline(TensorProto t) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new IllegalArgumentException("tensor '" + t.getName()
                    + "' keeps its data in an external file; read the model with OnnxModel.read to inline it");
        }
    }

    private static void checkSize(String name, int actual, long... dims) {
        long expected = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension: " + Arrays.toString(dims));
            }
            expected *= d;
        }
        if (expected != actual) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + actual + " values but dims "
                    + Arrays.toString(dims) + " need " + expected);
        }
    }
}
