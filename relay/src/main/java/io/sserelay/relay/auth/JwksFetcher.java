package io.sserelay.relay.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URL;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A JWK set fetched from a URL on a thread of its own: at start, every {@code cacheFor}, and
 * when a token names a key id the set lacks (at most once per {@code minRefresh}). Requests
 * only read the last set fetched, so no request thread ever waits for the network; a token
 * whose key has not arrived yet is refused as unknown, and one that comes later passes. A
 * failed fetch keeps the set fetched before.
 */
public final class JwksFetcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JwksFetcher.class);
    private static final int TIMEOUT_MILLIS = 5_000;
    private static final int SIZE_LIMIT = 512 * 1024;

    private final URL url;
    private final long minRefreshNanos;
    private final ScheduledExecutorService thread;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private volatile List<JWK> keys;
    private volatile long lastFetchNanos = System.nanoTime() - Long.MAX_VALUE / 2;
    private volatile boolean failing;
    /** Key ids of weak keys already reported, so that each is logged once. */
    private final Set<String> weakKeys = ConcurrentHashMap.newKeySet();

    JwksFetcher(URL url, Duration cacheFor, Duration minRefresh) {
        this.url = url;
        this.minRefreshNanos = minRefresh.toNanos();
        this.thread = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "jwks-fetch");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::fetch, 0, cacheFor.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The keys of the last set fetched, or null before any fetch succeeded. */
    List<JWK> keys() {
        return keys;
    }

    /** A token named a key id the set lacks: fetch again soon, unless a fetch was made moments ago. */
    void missing() {
        if (System.nanoTime() - lastFetchNanos >= minRefreshNanos && refreshQueued.compareAndSet(false, true)) {
            thread.execute(() -> {
                refreshQueued.set(false);
                if (System.nanoTime() - lastFetchNanos >= minRefreshNanos) {
                    fetch();
                }
            });
        }
    }

    private void fetch() {
        lastFetchNanos = System.nanoTime();
        try {
            List<JWK> usable = new ArrayList<>();
            for (JWK key : JWKSet.load(url, TIMEOUT_MILLIS, TIMEOUT_MILLIS, SIZE_LIMIT).toPublicJWKSet().getKeys()) {
                String weakness = PublicKeyText.weakness(key);
                if (weakness == null) {
                    usable.add(key);
                } else if (weakKeys.size() < 64 && weakKeys.add(String.valueOf(key.getKeyID()))) {
                    LOG.warn("the JWK set at {} holds a key this relay does not use: {}", redacted(url), weakness);
                }
            }
            keys = List.copyOf(usable);
            if (failing) {
                LOG.info("the JWK set at {} is fetched again", redacted(url));
                failing = false;
            }
        } catch (IOException | ParseException | RuntimeException e) {
            if (!failing) {
                LOG.warn("cannot fetch the JWK set at {} ({}); tokens are checked with the keys fetched before, if any",
                        redacted(url), e.getClass().getSimpleName());
                failing = true;
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }

    /** {@code url} for a log line: without user info or query, which may hold credentials. */
    public static String redacted(URL url) {
        return url.getProtocol() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort()) + url.getPath();
    }

    /**
     * A URL as configured, perhaps not even valid, for a message: everything between the scheme
     * and the last {@code @} (user info, which may hold a password with any character in it) and
     * everything from {@code ?} or {@code #} on after that are replaced, since either may hold a
     * credential. Over-redacting an odd URL is the price of never showing a password.
     */
    public static String redacted(String text) {
        int scheme = text.indexOf("://");
        int start = scheme < 0 ? 0 : scheme + 3;
        int at = text.lastIndexOf('@');
        String shown = at >= start ? text.substring(0, start) + "..." + text.substring(at) : text;
        int rest = at >= start ? start + 3 : start;
        int cut = indexOfAny(shown.substring(rest), "?#");
        return cut < 0 ? shown : shown.substring(0, rest + cut) + "?...";
    }

    private static int indexOfAny(String text, String characters) {
        for (int i = 0; i < text.length(); i++) {
            if (characters.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }
}
