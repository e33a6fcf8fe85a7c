package dev.peregrine.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for what a well-behaved client cannot do: send slowly, send
 * malformed requests, keep a connection half-written.
 */
public final class RawHttp implements AutoCloseable {

    /** A response as read off the socket; {@code status} 0 when the server closed without one. */
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;

    public RawHttp(int port) {
        try {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawHttp send(String ascii) {
        return send(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttp send(byte[] bytes) {
        try {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Sends, returning false instead of failing when the server has closed the connection. */
    public boolean trySend(String ascii) {
        try {
            socket.getOutputStream().write(ascii.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Reads one response (Content-Length framed), waiting at most {@code timeout} for each read.
     *
     * @throws UncheckedIOException wrapping {@link SocketTimeoutException} when nothing comes in time
     */
    public Response read(Duration timeout) {
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!endsWithBlankLine(head)) {
                int b;
                try {
                    b = in.read();
                } catch (java.net.SocketException e) {
                    b = -1;
                }
                if (b < 0) {
                    if (head.size() == 0) {
                        return new Response(0, Map.of(), "");
                    }
                    throw new IOException("connection closed inside a response head: " + head);
                }
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
                }
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean endsWithBlankLine(ByteArrayOutputStream head) {
        byte[] h = head.toByteArray();
        int n = h.length;
        return n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n';
    }

    /** Whether the server has closed the connection (end of stream within {@code timeout}). */
    public boolean closedByServer(Duration timeout) {
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            while (true) {
                int b = socket.getInputStream().read();
                if (b < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }
}
