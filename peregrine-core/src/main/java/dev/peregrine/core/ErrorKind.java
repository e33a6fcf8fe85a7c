package dev.peregrine.core;

/**
 * What went wrong, independent of how a caller reports it. The server maps each kind to an HTTP
 * status and the CLI to an exit code, each in exactly one place.
 */
public enum ErrorKind {
    /** No model folder, file or embedded name matches what the caller asked for. */
    MODEL_NOT_FOUND,
    /** The model exists but cannot be used: missing or corrupt ONNX file, missing tokenizer, bad config. */
    MODEL_INVALID,
    /** The caller asked a model for something it cannot do, such as classifying with an embedder. */
    WRONG_TASK,
    /** A text or argument the caller gave is not acceptable (empty list, null text, bad option). */
    INVALID_INPUT,
    /** A text is longer than the model accepts and the caller asked not to truncate it. */
    INPUT_TOO_LONG,
    /** ONNX Runtime failed while running a model that had loaded. */
    INFERENCE_FAILED,
    /** A download from a model hub failed. */
    DOWNLOAD_FAILED,
    /** Reading or writing local files failed. */
    IO
}
