package dev.peregrine.core.engine;

import java.util.Arrays;
import java.util.Objects;

/**
 * A graph input or output as ONNX Runtime reports it.
 *
 * @param name  the tensor's name
 * @param type  element type, such as {@code INT64} or {@code FLOAT}
 * @param shape dimensions, -1 where dynamic
 */
public record TensorSpec(String name, String type, long[] shape) {

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && type.equals(t.type) && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        StringBuilder dims = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            dims.append(i == 0 ? "" : ", ").append(shape[i] < 0 ? "?" : Long.toString(shape[i]));
        }
        return name + " " + type + dims.append(']');
    }
}
