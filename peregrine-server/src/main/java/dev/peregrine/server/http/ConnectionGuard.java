package dev.peregrine.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import dev.peregrine.server.metrics.ServerMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps slow and idle clients from holding connections: each connection has one deadline, for the
 * phase it is in.
 *
 * <pre>
 *   HEADERS  from the first byte of a request (the connection's opening, for its first request)
 *            until its headers have arrived                           header timeout, then 408
 *   BODY     until the request's body has ended                      body timeout, then 408
 *   SERVING  until the response has been written                     none here: the request timeout
 *   IDLE     keep-alive, between a response and the next request's first byte   idle timeout, then close
 * </pre>
 *
 * An idle timeout alone cannot stop a client that trickles a byte every few seconds (each byte
 * resets it); a deadline per phase can. A request is never admitted (never holds a
 * {@code max-concurrent-requests} slot) before its body has ended, so slow senders cost a
 * connection and a bounded time, never capacity.
 *
 * <p>The first byte of a request is seen by a Netty handler at the head of the connection's
 * pipeline, reached through Vert.x's internal {@code HttpServerConnection}: Vert.x 5 has no public
 * hook between a connection's bytes and a parsed request. Should that cast ever fail, the IDLE
 * deadline still bounds a trickled header.
 *
 * <p>Threads: every method runs on the event loop (the server runs exactly one), which owns all
 * state here; a periodic sweep on that loop enforces the deadlines.
 */
final class ConnectionGuard {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    /** What to do with a request whose body did not arrive in time: answer 408 and close. */
    interface BodyTimeout {
        void expired(HttpServerRequest request);
    }

    enum Phase { HEADERS, BODY, SERVING, IDLE }

    private final Duration headerTimeout;
    private final Duration bodyTimeout;
    private final Duration idleTimeout;
    private final LongSupplier nanoTime;
    private final BodyTimeout onBodyTimeout;
    private final ServerMetrics metrics;
    private final Map<HttpConnection, Conn> connections = new IdentityHashMap<>();
    /** {@code connections.size()}, readable from any thread (written on the event loop only). */
    private volatile int openCount;
    private final byte[] headerTimeoutResponse;

    ConnectionGuard(Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, LongSupplier nanoTime,
                    BodyTimeout onBodyTimeout, ServerMetrics metrics) {
        this.metrics = metrics;
        this.headerTimeout = headerTimeout;
        this.bodyTimeout = bodyTimeout;
        this.idleTimeout = idleTimeout;
        this.nanoTime = nanoTime;
        this.onBodyTimeout = onBodyTimeout;
        byte[] body = JsonOutput.error(new ApiException(ApiError.REQUEST_TIMEOUT,
                "the request's headers did not arrive within " + headerTimeout.toMillis() + " ms")).getBytes();
        String head = "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: "
                + body.length + "\r\nconnection: close\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        headerTimeoutResponse = new byte[h.length + body.length];
        System.arraycopy(h, 0, headerTimeoutResponse, 0, h.length);
        System.arraycopy(body, 0, headerTimeoutResponse, h.length, body.length);
    }

    /** Starts the sweep; its period is a quarter of the shortest timeout, within 50 ms to 1 s. */
    void start(Vertx vertx) {
        long shortest = Math.min(headerTimeout.toMillis(), Math.min(bodyTimeout.toMillis(), idleTimeout.toMillis()));
        long period = Math.max(50, Math.min(1000, shortest / 4));
        vertx.setPeriodic(period, id -> sweep());
    }

    /** A new connection: its first request's header deadline starts now. */
    void opened(HttpConnection connection) {
        Conn c = new Conn(connection);
        connections.put(connection, c);
        openCount = connections.size();
        c.enter(Phase.HEADERS, headerTimeout);
        connection.closeHandler(v -> {
            connections.remove(connection);
            openCount = connections.size();
        });
        try {
            ChannelHandlerContext pipelineEnd = ((io.vertx.core.http.impl.HttpServerConnection) connection)
                    .channelHandlerContext();
            pipelineEnd.pipeline().addFirst("peregrine-first-byte", new FirstByteWatcher(c));
        } catch (RuntimeException e) {
            LOG.debug("no first-byte watcher on {}: {}", connection, e.toString());
        }
    }

    /** Headers have arrived: the body deadline starts, and ends when the body has. */
    void requestStarted(HttpServerRequest request) {
        Conn c = connections.get(request.connection());
        if (c == null) {
            return;
        }
        c.request = request;
        c.enter(Phase.BODY, bodyTimeout);
        if (request.isEnded()) {
            c.enter(Phase.SERVING, null);
            return;
        }
        request.end().onComplete(ar -> {
            if (c.request == request && c.phase == Phase.BODY) {
                c.enter(Phase.SERVING, null);
            }
        });
    }

    /**
     * The response has been written: the connection idles until the next request's first byte. (One
     * request at a time per connection: Vert.x starts a pipelined request only after this.)
     */
    void responseEnded(HttpConnection connection) {
        Conn c = connections.get(connection);
        if (c != null && c.request != null) {
            c.request = null;
            c.enter(Phase.IDLE, idleTimeout);
        }
    }

    /** Connections open now; callable from any thread. */
    int open() {
        return openCount;
    }

    private void sweep() {
        long now = nanoTime.getAsLong();
        List<Conn> expired = new ArrayList<>();
        for (Conn c : connections.values()) {
            if (c.deadline != 0 && now - c.deadline >= 0) {
                expired.add(c);
            }
        }
        for (Conn c : expired) {
            c.deadline = 0;
            switch (c.phase) {
                case HEADERS -> {
                    if (c.firstByteSeen) {
                        metrics.slowClient("headers");
                    }
                    LOG.debug("closing {}: headers not received within {} ms", c.connection.remoteAddress(),
                            headerTimeout.toMillis());
                    if (c.firstByteSeen && c.watcher != null) {
                        c.watcher.writeAndFlush(Unpooled.wrappedBuffer(headerTimeoutResponse))
                                .addListener(ChannelFutureListener.CLOSE);
                    } else {
                        c.connection.close();
                    }
                }
                case BODY -> {
                    metrics.slowClient("body");
                    LOG.debug("closing {}: body not received within {} ms", c.connection.remoteAddress(),
                            bodyTimeout.toMillis());
                    HttpServerRequest request = c.request;
                    if (request != null && !request.response().ended() && !request.response().closed()) {
                        onBodyTimeout.expired(request);
                    } else {
                        c.connection.close();
                    }
                }
                case IDLE -> c.connection.close();
                case SERVING -> { }
            }
        }
    }

    /** One connection's phase and deadline; owned by the event loop. */
    private final class Conn {
        final HttpConnection connection;
        Phase phase;
        long deadline;
        boolean firstByteSeen;
        HttpServerRequest request;
        ChannelHandlerContext watcher;

        Conn(HttpConnection connection) {
            this.connection = connection;
        }

        void enter(Phase next, Duration timeout) {
            phase = next;
            long d = timeout == null ? 0 : nanoTime.getAsLong() + timeout.toNanos();
            deadline = timeout != null && d == 0 ? 1 : d;
        }

        void bytesArrived() {
            if (phase == Phase.IDLE) {
                enter(Phase.HEADERS, headerTimeout);
            }
            firstByteSeen = true;
        }
    }

    /** At the head of the pipeline: sees every read before the HTTP decoder does. */
    private static final class FirstByteWatcher extends ChannelInboundHandlerAdapter {
        private final Conn conn;

        FirstByteWatcher(Conn conn) {
            this.conn = conn;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            conn.watcher = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b && b.isReadable()) {
                conn.bytesArrived();
            }
            ctx.fireChannelRead(msg);
        }
    }
}
