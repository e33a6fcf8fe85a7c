package dev.peregrine.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Reading and writing ONNX model files.
 *
 * <p>Weights kept in external data files (the form exporters use past protobuf's 2 GB limit) are
 * read into memory on {@link #read}, so rewrites see every weight; {@link #write} puts large weights
 * back into one external file when the model would not fit in a single protobuf. A model whose
 * weights exceed what one Java array can hold (2 GB per tensor) is refused with a clear message.
 */
public final class OnnxModel {

    /** Protobuf cannot serialize a message of 2 GB or more. */
    static final long PROTOBUF_LIMIT = Integer.MAX_VALUE - 64L * 1024 * 1024;
    /** Weights at least this large go to the external file when one is needed. */
    private static final int EXTERNAL_THRESHOLD = 1024;

    private OnnxModel() {
    }

    /**
     * Reads a model, inlining external data.
     *
     * @throws OnnxFormatException when the file is not an ONNX model or its external data is missing
     * @throws IOException         when the file cannot be read
     */
    public static ModelProto read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        ModelProto model;
        try (InputStream in = Files.newInputStream(file)) {
            CodedInputStream coded = CodedInputStream.newInstance(in);
            coded.setSizeLimit(Integer.MAX_VALUE);
            coded.setRecursionLimit(1024);
            model = ModelProto.parseFrom(coded);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException(file + " is not an ONNX model (protobuf parse failed: " + e.getMessage() + ")", e);
        }
        if (!model.hasGraph() || model.getGraph().getNodeCount() == 0 && model.getGraph().getOutputCount() == 0) {
            throw new OnnxFormatException(file + " is not an ONNX model (it has no graph)");
        }
        if (hasExternalData(model.getGraph())) {
            model = inlineExternalData(model, file.toAbsolutePath().getParent());
        }
        return model;
    }

    /**
     * Writes a model. When its weights would push it past protobuf's 2 GB limit, weights of 1 KB
     * and more go to {@code <file name>_data} beside it, referenced the standard ONNX way.
     */
    public static void write(ModelProto model, Path file) throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(file, "file");
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ModelProto toWrite = model;
        if (rawBytes(model.getGraph()) > PROTOBUF_LIMIT) {
            toWrite = externalize(model, file);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 16);
            toWrite.writeTo(coded);
            coded.flush();
        }
    }

    /** A copy of {@code model} with {@code key = value} in its metadata (replacing any old value). */
    public static ModelProto withMetadata(ModelProto model, Map<String, String> entries) {
        Map<String, String> merged = new LinkedHashMap<>();
        for (StringStringEntryProto e : model.getMetadataPropsList()) {
            merged.put(e.getKey(), e.getValue());
        }
        merged.putAll(entries);
        ModelProto.Builder b = model.toBuilder().clearMetadataProps();
        merged.forEach((k, v) -> b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return b.build();
    }

    /** The model's metadata as a map. */
    public static Map<String, String> metadata(ModelProto model) {
        Map<String, String> out = new LinkedHashMap<>();
        for (StringStringEntryProto e : model.getMetadataPropsList()) {
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    private static boolean hasExternalData(GraphProto graph) {
        for (TensorProto t : graph.getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                return true;
            }
        }
        return false;
    }

    private static long rawBytes(GraphProto graph) {
        long total = 0;
        for (TensorProto t : graph.getInitializerList()) {
            total += t.getRawData().size();
        }
        return total;
    }

    private static ModelProto inlineExternalData(ModelProto model, Path baseDir) throws IOException {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        long total = 0;
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto t = graph.getInitializer(i);
            if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
                continue;
            }
            Map<String, String> ext = new LinkedHashMap<>();
            for (StringStringEntryProto e : t.getExternalDataList()) {
                ext.put(e.getKey(), e.getValue());
            }
            String location = ext.get("location");
            if (location == null) {
                throw new OnnxFormatException("weight '" + t.getName() + "' is external but names no file");
            }
            Path dataFile = baseDir.resolve(location).normalize();
            if (!Files.isRegularFile(dataFile)) {
                throw new OnnxFormatException("weight '" + t.getName() + "' is stored in " + dataFile
                        + ", which does not exist; keep the external data file beside the .onnx file");
            }
            long offset = Long.parseLong(ext.getOrDefault("offset", "0"));
            long length = ext.containsKey("length") ? Long.parseLong(ext.get("length")) : Files.size(dataFile) - offset;
            if (length > Integer.MAX_VALUE - 8) {
                throw new OnnxFormatException("weight '" + t.getName() + "' is " + length
                        + " bytes; tensors over 2 GB cannot be rewritten in Java");
            }
            total += length;
            ByteBuffer bytes = ByteBuffer.allocate((int) length);
            try (FileChannel ch = FileChannel.open(dataFile, StandardOpenOption.READ)) {
                while (bytes.hasRemaining()) {
                    if (ch.read(bytes, offset + bytes.position()) < 0) {
                        throw new OnnxFormatException(dataFile + " ends before weight '" + t.getName() + "'");
                    }
                }
            }
            bytes.flip();
            graph.setInitializer(i, t.toBuilder().clearExternalData()
                    .setDataLocation(TensorProto.DataLocation.DEFAULT).setRawData(ByteString.copyFrom(bytes)).build());
        }
        if (total < 0) {
            throw new OnnxFormatException("external data too large");
        }
        return model.toBuilder().setGraph(graph).build();
    }

    private static ModelProto externalize(ModelProto model, Path file) throws IOException {
        String dataName = file.getFileName() + "_data";
        Path dataFile = file.resolveSibling(dataName);
        GraphProto.Builder graph = model.getGraph().toBuilder();
        try (FileChannel ch = FileChannel.open(dataFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long offset = 0;
            for (int i = 0; i < graph.getInitializerCount(); i++) {
                TensorProto t = graph.getInitializer(i);
                ByteString raw = t.getRawData();
                if (raw.size() < EXTERNAL_THRESHOLD) {
                    continue;
                }
                // Align each weight to 4 KB, as ONNX's own writer does, so it can be memory-mapped.
                long aligned = (offset + 4095) / 4096 * 4096;
                ByteBuffer buf = raw.asReadOnlyByteBuffer();
                long pos = aligned;
                while (buf.hasRemaining()) {
                    pos += ch.write(buf, pos);
                }
                graph.setInitializer(i, t.toBuilder().clearRawData()
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", dataName))
                        .addExternalData(entry("offset", Long.toString(aligned)))
                        .addExternalData(entry("length", Long.toString(raw.size())))
                        .build());
                offset = aligned + raw.size();
            }
        }
        return model.toBuilder().setGraph(graph).build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
