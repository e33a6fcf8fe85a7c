package dev.peregrine.core.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/**
 * Per-thread scratch memory for one forward pass: a direct, native-order buffer that ONNX Runtime
 * reads inputs from and writes outputs into without copying. It only grows, so a thread that runs
 * many batches allocates direct memory a handful of times, not once per batch.
 *
 * <p>Use: {@link #reserve(long)} the pass's total size, then take slices. Slices stay valid until
 * the next {@code reserve} on the same arena. Not thread-safe: one arena per thread.
 */
final class InputArena {

    private static final int ALIGN = 64;

    private ByteBuffer buffer = ByteBuffer.allocateDirect(0);
    private int position;

    /** Makes room for {@code bytes} (plus alignment) and starts handing out slices from the start. */
    void reserve(long bytes) {
        long needed = bytes + 8L * ALIGN;
        if (needed > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch needs " + bytes + " bytes of tensors; lower the batch limits");
        }
        if (buffer.capacity() < needed) {
            int capacity = (int) Math.min(Integer.MAX_VALUE, Math.max(needed, (long) buffer.capacity() * 3 / 2));
            buffer = ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
        }
        position = 0;
    }

    LongBuffer longs(int count) {
        return slice(count * (long) Long.BYTES).asLongBuffer();
    }

    IntBuffer ints(int count) {
        return slice(count * (long) Integer.BYTES).asIntBuffer();
    }

    FloatBuffer floats(int count) {
        return slice(count * (long) Float.BYTES).asFloatBuffer();
    }

    private ByteBuffer slice(long bytes) {
        int start = (position + ALIGN - 1) / ALIGN * ALIGN;
        if (start + bytes > buffer.capacity()) {
            throw new IllegalStateException("arena overrun: reserve() was given too small a size");
        }
        position = (int) (start + bytes);
        return buffer.slice(start, (int) bytes).order(ByteOrder.nativeOrder());
    }
}
