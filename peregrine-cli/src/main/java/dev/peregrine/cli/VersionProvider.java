package dev.peregrine.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports Peregrine's version with the ONNX Runtime and Java it runs on. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = PeregrineCommand.class.getPackage().getImplementationVersion();
        return new String[] {
            "peregrine " + (version == null ? "(development build)" : version),
            "ONNX Runtime " + ortVersion(),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")",
        };
    }

    private static String ortVersion() {
        try {
            return ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "unavailable (" + e.getMessage() + ")";
        }
    }
}
