package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.sserelay.api.relay.RelayDefaults;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.Map;

/**
 * The relay container's CPU and memory: {@code spec.resources} with what it leaves out filled
 * in, so that a relay is never BestEffort and its JVM, which sizes its heap from the memory
 * limit ({@code relay/jvm.options}), always has a limit to size from.
 *
 * <ul>
 *   <li>Memory: request and limit as given; one given alone stands for both (a JVM uses the heap
 *       it is allowed, so memory beyond the request would only be taken back by the OOM killer);
 *       neither: {@value RelayDefaults#MEMORY} for both.</li>
 *   <li>CPU: neither request nor limit given: {@value RelayDefaults#CPU_REQUEST} requested and a limit of
 *       {@value RelayDefaults#CPU_LIMIT}. Otherwise as given.</li>
 * </ul>
 */
public final class RelayResources {

    /** Memory request and limit of a relay whose spec sets neither; {@code bench} S8 measures a relay in it. */
    /** Fewer processors than this and Undertow would serve every connection from one IO thread. */
    static final int MIN_PROCESSORS = 2;

    private RelayResources() {
    }

    public static ResourceRequirements of(ResourceRequirements spec) {
        Map<String, Quantity> requests = new HashMap<>();
        Map<String, Quantity> limits = new HashMap<>();
        if (spec != null) {
            if (spec.getRequests() != null) {
                requests.putAll(spec.getRequests());
            }
            if (spec.getLimits() != null) {
                limits.putAll(spec.getLimits());
            }
        }
        Quantity memory = limits.getOrDefault("memory", requests.getOrDefault("memory", new Quantity(RelayDefaults.MEMORY)));
        limits.putIfAbsent("memory", memory);
        requests.putIfAbsent("memory", memory);
        if (!requests.containsKey("cpu") && !limits.containsKey("cpu")) {
            requests.put("cpu", new Quantity(RelayDefaults.CPU_REQUEST));
            limits.put("cpu", new Quantity(RelayDefaults.CPU_LIMIT));
        }
        return new ResourceRequirementsBuilder(spec == null ? new ResourceRequirements() : spec)
                .withRequests(requests).withLimits(limits).build();
    }

    /**
     * The processors the relay's JVM should size itself for: its CPU limit, or without one its
     * request, rounded up, and at least {@value #MIN_PROCESSORS}. Without a limit the JVM would
     * count every core of the node, and start as many threads.
     */
    public static int processors(ResourceRequirements resources) {
        Quantity cpu = resources.getLimits().containsKey("cpu") ? resources.getLimits().get("cpu")
                : resources.getRequests().get("cpu");
        if (cpu == null) {
            return MIN_PROCESSORS;
        }
        BigDecimal cores = cpu.getNumericalAmount().setScale(0, RoundingMode.CEILING);
        return Math.max(MIN_PROCESSORS, cores.min(BigDecimal.valueOf(1024)).intValue());
    }
}
