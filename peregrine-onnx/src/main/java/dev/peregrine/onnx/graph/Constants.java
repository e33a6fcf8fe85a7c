package dev.peregrine.onnx.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.peregrine.onnx.Tensors;
import java.util.Optional;

/** Reading constant values: {@code Constant} nodes' attributes and scalar tensors of any numeric type. */
public final class Constants {

    private Constants() {
    }

    /** The tensor a {@code Constant} node produces, or null for forms this does not read (sparse). */
    static TensorProto fromConstantNode(Node node, String outputName) {
        for (AttributeProto a : node.attributes().values()) {
            switch (a.getName()) {
                case "value":
                    return a.getT().toBuilder().setName(outputName).build();
                case "value_float":
                    return Tensors.scalar(outputName, a.getF());
                case "value_int":
                    return Tensors.scalar(outputName, a.getI());
                case "value_floats": {
                    float[] v = new float[a.getFloatsCount()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = a.getFloats(i);
                    }
                    return Tensors.floats(outputName, v, v.length);
                }
                case "value_ints":
                    return Tensors.longs(outputName, a.getIntsList().stream().mapToLong(Long::longValue).toArray(),
                            a.getIntsCount());
                default:
                    break;
            }
        }
        return null;
    }

    /** The single value of a tensor holding exactly one number, or empty. */
    public static Optional<Double> scalarValue(TensorProto t) {
        if (Tensors.elementCount(t) != 1) {
            return Optional.empty();
        }
        double[] v = asDoubles(t);
        return v == null ? Optional.empty() : Optional.of(v[0]);
    }

    /** The values of a float, double, int32 or int64 tensor as doubles, or null for other types. */
    public static double[] asDoubles(TensorProto t) {
        DataType type = DataType.forNumber(t.getDataType());
        if (type == null) {
            return null;
        }
        switch (type) {
            case FLOAT: {
                float[] f = Tensors.toFloats(t);
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    d[i] = f[i];
                }
                return d;
            }
            case DOUBLE: {
                if (!t.getRawData().isEmpty()) {
                    double[] d = new double[(int) Tensors.elementCount(t)];
                    t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(d);
                    return d;
                }
                return t.getDoubleDataList().stream().mapToDouble(Double::doubleValue).toArray();
            }
            case INT64: {
                long[] l = Tensors.toLongs(t);
                double[] d = new double[l.length];
                for (int i = 0; i < l.length; i++) {
                    d[i] = l[i];
                }
                return d;
            }
            case INT32: {
                int[] l = Tensors.toInts(t);
                double[] d = new double[l.length];
                for (int i = 0; i < l.length; i++) {
                    d[i] = l[i];
                }
                return d;
            }
            default:
                return null;
        }
    }

    /** True when {@code value} is within {@code relTol} (relative) of {@code expected}. */
    public static boolean near(double value, double expected, double relTol) {
        return Math.abs(value - expected) <= relTol * Math.max(Math.abs(expected), 1e-12);
    }
}
