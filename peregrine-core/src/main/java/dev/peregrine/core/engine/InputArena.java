package dev.peregrine.core.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/**
 * Per-thread scratch memory for one forward pass: a direct, native-order buffer that ONNX Runtime
 * reads inputs from and writes outputs into without copying. It grows to the largest pass, so a
 * thread that runs many batches allocates direct memory a handful of times, not once per batch; but
 * it does not keep one rare huge pass's size forever: when the last {@value #WINDOW} passes all
 * needed less than a quarter of it, it is replaced by one of their largest size (the old buffer's
 * native memory goes back when it is collected).
 *
 * <p>Use: {@link #reserve(long)} the pass's total size, then take slices. Slices stay valid until
 * the next {@code reserve} on the same arena. Not thread-safe: one arena per thread.
 */
final class InputArena {

    private static final int ALIGN = 64;
    /** Passes over which the need is watched before shrinking. */
    static final int WINDOW = 64;
    /** Below this the arena never shrinks: a few megabytes are not worth reallocating. */
    static final int KEEP_BYTES = 4 << 20;

    private ByteBuffer buffer = ByteBuffer.allocateDirect(0);
    private int position;
    private int passes;
    private long recentPeak;

    /** Makes room for {@code bytes} (plus alignment) and starts handing out slices from the start. */
    void reserve(long bytes) {
        long needed = bytes + 8L * ALIGN;
        if (needed > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch needs " + bytes + " bytes of tensors; lower the batch limits");
        }
        recentPeak = Math.max(recentPeak, needed);
        if (buffer.capacity() < needed) {
            int capacity = (int) Math.min(Integer.MAX_VALUE, Math.max(needed, (long) buffer.capacity() * 3 / 2));
            buffer = ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
        } else if (++passes >= WINDOW) {
            if (buffer.capacity() > KEEP_BYTES && recentPeak * 4 < buffer.capacity()) {
                buffer = ByteBuffer.allocateDirect((int) Math.max(recentPeak, KEEP_BYTES)).order(ByteOrder.nativeOrder());
            }
            passes = 0;
            recentPeak = needed;
        }
        position = 0;
    }

    /** Bytes held (for tests). */
    int capacity() {
        return buffer.capacity();
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
