package dev.peregrine.optimize.testing;

import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.PeregrineHome;
import java.nio.file.Path;
import java.util.List;

/** The embedded models, extracted once per build into target/test-home, and small text sets. */
public final class Models {

    private Models() {
    }

    public static ModelResolver resolver() {
        return new ModelResolver(PeregrineHome.at(Path.of("target", "test-home")));
    }

    public static ModelFolder minilm() {
        return resolver().resolve("all-minilm-l6-v2");
    }

    /** The int8 model the -q artifact ships, made by ONNX Runtime's Python quantize_dynamic. */
    public static ModelFolder minilmPythonInt8() {
        return resolver().resolve("all-minilm-l6-v2-int8");
    }

    /** A dozen varied texts for tests that only need the pipeline to run. */
    public static List<String> fewTexts() {
        return List.of("Hi", "Where is my package?", "The refund for order 55123 never arrived.",
                "Das Produkt funktioniert einwandfrei, vielen Dank!", "¿Cómo puedo descargar mis facturas?",
                "amazing!!! 🤩🤩", "teh app crashs wen i click on setings",
                "Stock markets fell sharply after the unexpected earnings report.",
                "注文した商品がまだ届きません。", "404 page not found when clicking \"Forgot password\"",
                "The committee postponed the vote until more data on the bridge's load capacity is available.",
                "ok");
    }
}
