package io.sserelay.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CRD committed at {@code crds/sserelays.sserelay.io-v1.yml} is what users and the tests
 * install; it must be exactly what the model generates. Run with
 * {@code -Dsserelay.updateCrd=true} to write the generated CRD over the committed one.
 */
class CrdIsUpToDateTest {

    static final String FILE = "sserelays.sserelay.io-v1.yml";

    @Test
    void theCommittedCrdIsWhatTheModelGenerates(@TempDir Path out) throws IOException {
        String generated = generate(out);
        Path committed = Path.of(FILE);
        if (Boolean.getBoolean("sserelay.updateCrd")) {
            Files.writeString(committed, generated);
        }
        assertThat(Files.readString(committed))
                .as("crds/%s differs from the CRD the model generates; if the model change is intended, run"
                        + " ./mvnw -pl crds test -Dsserelay.updateCrd=true and commit the result", FILE)
                .isEqualTo(generated);
    }

    @Test
    void printerColumnsComeInTheOrderTheyAreDeclared() throws IOException {
        CustomResourceDefinition crd = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                Files.readString(Path.of(FILE)), CustomResourceDefinition.class);
        assertThat(crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns())
                .extracting(CustomResourceColumnDefinition::getName)
                .containsExactly("REPLICAS", "READY", "PEERS", "ENDPOINT", "AGE");
    }

    static String generate(Path out) throws IOException {
        new CRDGenerator()
                .customResourceClasses(SseRelay.class)
                .forCRDVersions("v1")
                .withPostProcessor(new CRDPostProcessor() {
                    @Override
                    public HasMetadata process(HasMetadata crd, String version) {
                        declaredColumnOrder((CustomResourceDefinition) crd);
                        return crd;
                    }
                })
                .inOutputDir(out.toFile())
                .generate();
        return Files.readString(out.resolve(FILE));
    }

    /**
     * The generator sorts printer columns by JSON path; kubectl shows them in CRD order, and
     * the order people read ({@code REPLICAS READY PEERS ENDPOINT AGE}) is the declared one.
     */
    private static void declaredColumnOrder(CustomResourceDefinition crd) {
        List<String> declared = Arrays.stream(SseRelay.class.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name).toList();
        for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
            List<CustomResourceColumnDefinition> columns = new ArrayList<>(version.getAdditionalPrinterColumns());
            columns.sort(Comparator.comparingInt(c -> declared.indexOf(c.getName())));
            version.setAdditionalPrinterColumns(columns);
        }
    }
}
