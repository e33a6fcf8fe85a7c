package dev.peregrine.onnx;

/**
 * A file is not a usable ONNX model: not protobuf, truncated, or referring to external data that
 * cannot be read. The message names the file and is written for the person who gave it.
 */
public final class OnnxFormatException extends RuntimeException {
    public OnnxFormatException(String message) {
        super(message);
    }

    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
