package dev.peregrine.cache;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.protocol.RedisProtocolException;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared level: one Lettuce connection to one Redis, used so that nothing about Redis can
 * fail or stall a request.
 *
 * <ul>
 *   <li>Connecting is asynchronous. Until the first connection succeeds the level is simply absent
 *       (reads answer "skipped" at once); failed attempts are retried every {@code backoff}, and
 *       the first failure is logged once. After a connection is lost, Lettuce reconnects in the
 *       background (delays growing to {@code backoff}) and rejects commands meanwhile, so they fail
 *       at once instead of queueing.</li>
 *   <li>A read has a hard deadline (the configured timeout per 64 keys); on timeout or error it
 *       answers "skipped" and the request goes on to the model. Failures feed a {@link CircuitBreaker}: while it is open Redis is not
 *       asked at all.</li>
 *   <li>Writes are fire-and-forget: one pipelined batch of {@code SET key value PX ttl} per
 *       computation, sent only while the circuit is closed.</li>
 *   <li>A reply that does not parse means the connection can no longer be trusted to pair replies
 *       with commands: it is closed and a new one made.</li>
 * </ul>
 *
 * Thread-safe. Futures from Lettuce complete on its I/O threads; the results of reads are handed
 * on through the cache's executor so that no caller's work runs on them.
 */
final class RedisLevel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLevel.class);

    /** Commands allowed in flight or queued on the connection; past it Lettuce rejects at once. */
    static final int REQUEST_QUEUE_LIMIT = 65_536;
    /**
     * Lettuce's own command timeout: not the request deadline (that one is ours, and precise), but
     * the point at which Lettuce gives up on a write to a Redis that stopped answering.
     */
    static final Duration BACKSTOP_TIMEOUT = Duration.ofSeconds(2);

    /**
     * The read deadline is per this many keys, so that one MGET for a large request (whose reply
     * may be megabytes) is not cut off by a deadline meant for a few vectors.
     */
    static final int KEYS_PER_DEADLINE = 64;

    private static final CompletableFuture<byte[][]> SKIPPED = CompletableFuture.completedFuture(null);

    private final RedisURI uri;
    private final String where;
    private final byte[] prefix;
    private final long ttlMillis;
    private final long readTimeoutNanos;
    private final long backoffNanos;
    private final CircuitBreaker circuit;
    private final Executor executor;
    private final CacheMetrics metrics;
    private final ClientResources resources;
    private final RedisClient client;
    private final AtomicReference<StatefulRedisConnection<byte[], byte[]>> connection = new AtomicReference<>();
    private final long connectTimeoutNanos;
    /** Guards {@link #closed} against a connection attempt starting while the level closes. */
    private final Object lifecycle = new Object();
    private volatile boolean closed;
    private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connecting; // guarded by lifecycle
    private volatile boolean unreachableLogged;

    RedisLevel(RedisURI uri, String prefix, Duration ttl, Duration readTimeout, Duration connectTimeout,
               Duration backoff, CircuitBreaker circuit, Executor executor, CacheMetrics metrics) {
        this.uri = RedisURI.builder(uri).withTimeout(connectTimeout).build();
        this.where = describe(uri);
        this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
        this.ttlMillis = ttl.toMillis();
        this.readTimeoutNanos = readTimeout.toNanos();
        this.backoffNanos = backoff.toNanos();
        this.connectTimeoutNanos = connectTimeout.toNanos();
        this.circuit = circuit;
        this.executor = executor;
        this.metrics = metrics;
        this.resources = DefaultClientResources.builder()
                .ioThreadPoolSize(DefaultClientResources.MIN_IO_THREADS)
                .computationThreadPoolSize(DefaultClientResources.MIN_COMPUTATION_THREADS)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(1), backoff, 2, TimeUnit.MILLISECONDS))
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .build();
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .protocolVersion(ProtocolVersion.RESP2)
                .pingBeforeActivateConnection(true)
                .requestQueueSize(REQUEST_QUEUE_LIMIT)
                .maintNotificationsConfig(MaintNotificationsConfig.disabled())
                .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).keepAlive(true)
                        .tcpNoDelay(true).build())
                .timeoutOptions(TimeoutOptions.enabled(BACKSTOP_TIMEOUT))
                .build());
    }

    /** Starts connecting in the background; returns at once. */
    void start() {
        connect();
    }

    /** Whether a connection is up (Lettuce may be reconnecting it). */
    boolean connected() {
        StatefulRedisConnection<byte[], byte[]> c = connection.get();
        return c != null && c.isOpen();
    }

    CircuitBreaker circuit() {
        return circuit;
    }

    /** Whether {@link #write} would send anything now (so that callers can skip encoding). */
    boolean writable() {
        return !closed && connection.get() != null && circuit.isClosed();
    }

    /**
     * Reads the entries of {@code keys} with one MGET.
     *
     * @return a future that never fails: the raw values in key order (null where Redis has none), or
     *         null itself when Redis was not asked or did not answer in time
     */
    CompletableFuture<byte[][]> read(List<CacheKey> keys) {
        StatefulRedisConnection<byte[], byte[]> conn = connection.get();
        if (conn == null || closed || !circuit.tryAcquire()) {
            return SKIPPED;
        }
        byte[][] redisKeys = new byte[keys.size()][];
        for (int i = 0; i < redisKeys.length; i++) {
            redisKeys[i] = keys.get(i).redisKey(prefix);
        }
        // A future of our own carries the deadline, so that timing out never touches Lettuce's command.
        CompletableFuture<List<KeyValue<byte[], byte[]>>> answer = new CompletableFuture<>();
        try {
            RedisFuture<List<KeyValue<byte[], byte[]>>> mget = conn.async().mget(redisKeys);
            mget.whenComplete((values, error) -> {
                if (error != null) {
                    answer.completeExceptionally(error);
                } else {
                    answer.complete(values);
                }
            });
        } catch (RuntimeException e) {
            answer.completeExceptionally(e);
        }
        long deadline = readTimeoutNanos * ((redisKeys.length + KEYS_PER_DEADLINE - 1) / KEYS_PER_DEADLINE);
        // The bookkeeping runs wherever the reply or the timeout lands (it is short and must happen
        // even if the executor refused work); only then is the result handed to the executor.
        return answer.orTimeout(deadline, TimeUnit.NANOSECONDS).handle((values, error) -> {
            if (error != null) {
                failed(conn, error);
                return (byte[][]) null;
            }
            if (values == null || values.size() != redisKeys.length) {
                failed(conn, new RedisProtocolException("MGET of " + redisKeys.length + " keys answered "
                        + (values == null ? "nothing" : values.size() + " values")));
                return null;
            }
            recovered();
            byte[][] raw = new byte[redisKeys.length][];
            for (int i = 0; i < raw.length; i++) {
                KeyValue<byte[], byte[]> kv = values.get(i);
                raw[i] = kv.hasValue() ? kv.getValue() : null;
            }
            return raw;
        }).thenApplyAsync(raw -> raw, executor);
    }

    /**
     * Stores entries with the TTL, in one pipelined batch, without waiting for Redis. Does nothing
     * unless connected with the circuit closed.
     */
    void write(List<CacheKey> keys, List<byte[]> values) {
        StatefulRedisConnection<byte[], byte[]> conn = connection.get();
        if (conn == null || closed || keys.isEmpty() || !circuit.isClosed()) {
            return;
        }
        AtomicBoolean reported = new AtomicBoolean();
        List<RedisCommand<byte[], byte[], ?>> commands = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            CommandArgs<byte[], byte[]> args = new CommandArgs<>(ByteArrayCodec.INSTANCE)
                    .addKey(keys.get(i).redisKey(prefix))
                    .addValue(values.get(i));
            SetArgs.Builder.px(ttlMillis).build(args);
            AsyncCommand<byte[], byte[], String> set = new AsyncCommand<>(
                    new Command<>(CommandType.SET, new StatusOutput<>(ByteArrayCodec.INSTANCE), args));
            set.whenComplete((ok, error) -> {
                if (error == null) {
                    recovered();
                } else if (reported.compareAndSet(false, true)) {
                    // One failed batch is one error, however many entries it held.
                    failed(conn, error);
                }
            });
            commands.add(set);
        }
        try {
            conn.dispatch(commands);
        } catch (RuntimeException e) {
            if (reported.compareAndSet(false, true)) {
                failed(conn, e);
            }
        }
    }

    private void failed(StatefulRedisConnection<byte[], byte[]> conn, Throwable error) {
        CacheError kind = CacheError.classify(error);
        metrics.error(kind);
        if (circuit.onFailure()) {
            LOG.warn("Redis at {} is failing ({}); serving without the shared cache level, probing every {} ms",
                    where, message(error), TimeUnit.NANOSECONDS.toMillis(backoffNanos));
        }
        if (kind == CacheError.PROTOCOL) {
            replace(conn, error);
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("Redis at {}: {}", where, message(error));
        }
    }

    /** A command succeeded: if that ends an outage, says so (once; the failure said so once too). */
    private void recovered() {
        if (circuit.onSuccess()) {
            LOG.info("Redis at {} answers again: the shared cache level is back on", where);
        }
    }

    /** Drops a connection whose replies no longer parse, and makes a new one. */
    private void replace(StatefulRedisConnection<byte[], byte[]> broken, Throwable error) {
        if (connection.compareAndSet(broken, null)) {
            LOG.warn("Redis at {} sent a reply that does not parse ({}); reconnecting", where, message(error));
            broken.closeAsync();
            schedule(this::connect, 0);
        }
    }

    private void connect() {
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> attempt;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            try {
                attempt = client.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture();
            } catch (RuntimeException e) {
                attempt = CompletableFuture.failedFuture(e);
            }
            connecting = attempt;
        }
        attempt.whenComplete((conn, error) -> {
            if (error != null) {
                connectFailed(error);
            } else if (closed) {
                conn.closeAsync();
            } else {
                connection.set(conn);
                unreachableLogged = false;
                LOG.info("Redis at {} connected: the shared cache level is on", where);
            }
        });
    }

    private void connectFailed(Throwable error) {
        if (closed) {
            return;
        }
        metrics.error(CacheError.CONNECTION);
        if (!unreachableLogged) {
            unreachableLogged = true;
            LOG.warn("Redis at {} is not reachable ({}); serving without the shared cache level and retrying"
                    + " every {} ms", where, message(error), TimeUnit.NANOSECONDS.toMillis(backoffNanos));
        } else {
            LOG.debug("Redis at {} still not reachable: {}", where, message(error));
        }
        schedule(this::connect, backoffNanos);
    }

    private void schedule(Runnable task, long delayNanos) {
        try {
            resources.eventExecutorGroup().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // Shutting down.
        }
    }

    @Override
    public void close() {
        CompletableFuture<?> pending;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            pending = connecting;
        }
        if (pending != null) {
            // Shutting the client down under a connection attempt makes Netty log errors; the
            // attempt ends within the connect timeout anyway.
            try {
                pending.get(connectTimeoutNanos + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                // Failed or too slow: shut down anyway.
            }
        }
        connection.set(null); // the client's shutdown closes it
        try {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            LOG.debug("Redis client shutdown: {}", message(e));
        }
        try {
            resources.shutdown(0, 2, TimeUnit.SECONDS).get(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("Redis client resources shutdown: {}", message(e));
        }
    }

    /** Where Redis is, for logs: scheme, host, port and database, never the credentials. */
    static String describe(RedisURI uri) {
        String scheme = uri.isSsl() ? "rediss" : "redis";
        if (uri.getSocket() != null) {
            return "redis-socket://" + uri.getSocket();
        }
        return scheme + "://" + uri.getHost() + ":" + uri.getPort() + (uri.getDatabase() != 0 ? "/" + uri.getDatabase() : "");
    }

    private static String message(Throwable error) {
        Throwable e = CacheError.unwrap(error);
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
