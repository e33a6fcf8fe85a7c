package dev.peregrine.cache;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting with a deadline, and a plain client to look inside a test's Redis. */
final class RedisTesting {

    private RedisTesting() {
    }

    /** Polls until the condition holds; fails after the deadline. Never a fixed sleep. */
    static void awaitTrue(String what, Duration deadline, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + deadline + " waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    /** A separate Lettuce client on the raw bytes, for assertions about what the cache stored. */
    static final class Inspector implements AutoCloseable {
        private final RedisClient client;
        private final StatefulRedisConnection<byte[], byte[]> connection;

        Inspector(String uri) {
            client = RedisClient.create(uri);
            connection = client.connect(ByteArrayCodec.INSTANCE);
        }

        io.lettuce.core.api.sync.RedisCommands<byte[], byte[]> sync() {
            return connection.sync();
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
