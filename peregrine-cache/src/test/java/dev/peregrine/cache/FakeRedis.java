package dev.peregrine.cache;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback server that speaks enough RESP to pass Lettuce's handshake (PING, CLIENT, HELLO) and
 * then misbehaves on MGET the way {@link Mode} says. SET and anything else get {@code +OK}.
 */
public final class FakeRedis implements AutoCloseable {

    public enum Mode {
        /** MGET is answered (with misses) only after the delay. */
        SLOW,
        /** MGET is answered with bytes that are not RESP at all. */
        GARBAGE_BYTES,
        /** MGET is answered with well-formed bulk strings of random bytes. */
        GARBAGE_VALUES
    }

    private final Mode mode;
    private final Duration delay;
    private final ServerSocket server;
    private final List<Socket> clients = new CopyOnWriteArrayList<>();
    private final AtomicInteger mgets = new AtomicInteger();
    private final AtomicInteger sets = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final Random random = new Random(42);
    private volatile boolean closed;

    public FakeRedis(Mode mode, Duration delay) throws IOException {
        this.mode = mode;
        this.delay = delay;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "fake-redis-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String uri() {
        return "redis://127.0.0.1:" + server.getLocalPort();
    }

    /** MGET commands received so far. */
    public int mgets() {
        return mgets.get();
    }

    public int sets() {
        return sets.get();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                clients.add(socket);
                connections.incrementAndGet();
                Thread t = new Thread(() -> serve(socket), "fake-redis-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (!closed) {
                List<String> command = readCommand(in);
                if (command == null) {
                    return;
                }
                String name = command.get(0).toUpperCase(Locale.ROOT);
                switch (name) {
                    case "PING" -> write(out, "+PONG\r\n");
                    case "HELLO" -> write(out, "-ERR unknown command 'HELLO'\r\n");
                    case "MGET" -> {
                        mgets.incrementAndGet();
                        mget(out, command.size() - 1);
                    }
                    case "SET" -> {
                        sets.incrementAndGet();
                        write(out, "+OK\r\n");
                    }
                    default -> write(out, "+OK\r\n");
                }
            }
        } catch (IOException | InterruptedException e) {
            // The client went away, or the fake is closing.
        }
    }

    private void mget(OutputStream out, int keys) throws IOException, InterruptedException {
        switch (mode) {
            case SLOW -> {
                Thread.sleep(delay.toMillis());
                StringBuilder reply = new StringBuilder("*" + keys + "\r\n");
                reply.append("$-1\r\n".repeat(keys));
                write(out, reply.toString());
            }
            case GARBAGE_BYTES -> {
                byte[] junk = new byte[64];
                random.nextBytes(junk);
                junk[0] = 'Q'; // no RESP type starts with Q
                out.write(junk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            case GARBAGE_VALUES -> {
                out.write(("*" + keys + "\r\n").getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < keys; i++) {
                    byte[] junk = new byte[1 + random.nextInt(100)];
                    random.nextBytes(junk);
                    out.write(("$" + junk.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(junk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            }
        }
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write(reply.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads one RESP array of bulk strings; null at end of stream. */
    private static List<String> readCommand(InputStream in) throws IOException {
        String header = readLine(in);
        if (header == null) {
            return null;
        }
        if (!header.startsWith("*")) {
            throw new IOException("expected an array, got " + header);
        }
        int count = Integer.parseInt(header.substring(1));
        List<String> parts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String length = readLine(in);
            if (length == null || !length.startsWith("$")) {
                throw new IOException("expected a bulk string, got " + length);
            }
            byte[] bytes = in.readNBytes(Integer.parseInt(length.substring(1)) + 2);
            parts.add(new String(bytes, 0, Math.max(0, bytes.length - 2), StandardCharsets.ISO_8859_1));
        }
        return parts;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
                return line.substring(0, end);
            }
            line.append((char) b);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : clients) {
            try {
                s.close();
            } catch (SocketException e) {
                // already gone
            }
        }
    }
}
