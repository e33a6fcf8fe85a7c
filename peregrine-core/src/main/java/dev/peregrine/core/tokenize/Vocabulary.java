package dev.peregrine.core.tokenize;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a {@code tokenizer.json} says about its ids: the unknown token's id (-1 when it has none, as
 * byte-level BPE), how many ids there are, and which ids are special tokens.
 *
 * <p>Read with a streaming parser in one pass, keeping no tree: the vocabulary is most of the file
 * (30,000 entries for BERT's), and building Jackson's tree of it took 0.1-0.4 s of every model's
 * load, three to five times the pass itself.
 */
record Vocabulary(long unknownId, long size, Set<Long> specialIds) {

    private static final JsonFactory JSON = new JsonFactory();

    Vocabulary {
        specialIds = Set.copyOf(specialIds);
    }

    /**
     * Reads the facts from {@code model} ({@code unk_id}, or {@code unk_token} looked up in
     * {@code vocab}; the size from {@code vocab}, an object of tokens to ids or a list of pieces) and
     * {@code added_tokens} (their ids count towards the size; {@code special} ones are special).
     *
     * @throws IOException when the file cannot be read or is not JSON
     */
    static Vocabulary read(Path tokenizerJson) throws IOException {
        try (JsonParser p = JSON.createParser(tokenizerJson.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            Model model = new Model();
            long size = 0;
            Set<Long> special = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("model") && value == JsonToken.START_OBJECT) {
                    model.read(p);
                } else if (field.equals("added_tokens") && value == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        long id = -1;
                        boolean isSpecial = false;
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String name = p.currentName();
                            JsonToken v = p.nextToken();
                            if (name.equals("id") && v == JsonToken.VALUE_NUMBER_INT) {
                                id = p.getLongValue();
                            } else if (name.equals("special")) {
                                isSpecial = v == JsonToken.VALUE_TRUE;
                            } else {
                                p.skipChildren();
                            }
                        }
                        size = Math.max(size, id + 1);
                        if (isSpecial) {
                            special.add(id);
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            return new Vocabulary(model.unknownId(), Math.max(size, model.size), special);
        }
    }

    /** The {@code model} object's facts, in whatever order its fields come. */
    private static final class Model {
        Long unkId;
        String unkToken;
        /** Whether {@code unk_token} went by (null for byte-level BPE, which has no unknown token). */
        boolean unkTokenSeen;
        /** The unknown token's id, when its name was known before the vocabulary went by. */
        long unkTokenId = -1;
        /** The vocabulary, kept only when {@code unk_token} comes after it (the usual files put it first). */
        Map<String, Long> kept;
        long size;

        void read(JsonParser p) throws IOException {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "unk_id" -> {
                        if (value == JsonToken.VALUE_NUMBER_INT) {
                            unkId = p.getLongValue();
                        }
                    }
                    case "unk_token" -> {
                        unkTokenSeen = true;
                        if (value == JsonToken.VALUE_STRING) {
                            unkToken = p.getText();
                            if (kept != null && kept.containsKey(unkToken)) {
                                unkTokenId = kept.get(unkToken);
                            }
                        }
                    }
                    case "vocab" -> readVocab(p, value);
                    default -> p.skipChildren();
                }
            }
        }

        private void readVocab(JsonParser p, JsonToken value) throws IOException {
            if (value == JsonToken.START_OBJECT) {        // WordPiece, BPE: {"token": id}
                boolean keep = !unkTokenSeen;
                if (keep) {
                    kept = new HashMap<>();
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String token = p.currentName();
                    p.nextToken();
                    long id = p.getValueAsLong();
                    size = Math.max(size, id + 1);
                    if (keep) {
                        kept.put(token, id);
                    } else if (token.equals(unkToken)) {
                        unkTokenId = id;
                    }
                }
            } else if (value == JsonToken.START_ARRAY) {  // Unigram: [["piece", score], ...]
                long count = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    p.skipChildren();
                    count++;
                }
                size = count;
            } else {
                p.skipChildren();
            }
        }

        long unknownId() {
            return unkId != null ? unkId : unkTokenId;
        }
    }
}
