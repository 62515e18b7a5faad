/**
 * The persisted {@code ls-refs} cache: {@link dev.goblet.cache.LsRefsArgs} (a request's arguments
 * and which requests a listing covers), {@link dev.goblet.cache.RefListing} (an upstream answer and
 * the exact answers derivable from it) and {@link dev.goblet.cache.LsRefsCache} (the thread-safe,
 * file-backed store the proxy answers from while the upstream is down).
 */
package dev.goblet.cache;
