package dev.goblet.upstream;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Stops calling an upstream for a cool-down after it failed, then lets one probe through; the
 * probe's success closes the breaker, its failure opens it for another cool-down. A probe that
 * never reports is replaced after one cool-down. Thread-safe (synchronized; calls are rare and
 * short compared with the network calls they guard).
 */
final class CircuitBreaker {
  private final Clock clock;
  private final Duration cooldown;
  private Instant openUntil; // null: closed
  private Instant probeStarted; // non-null while a half-open probe is out
  private String lastFailure = "";

  CircuitBreaker(Clock clock, Duration cooldown) {
    this.clock = clock;
    this.cooldown = cooldown;
  }

  /** @return whether this call may go to the upstream */
  synchronized boolean allowRequest() {
    if (openUntil == null) {
      return true;
    }
    Instant now = clock.instant();
    if (now.isBefore(openUntil)) {
      return false;
    }
    if (probeStarted == null || !now.isBefore(probeStarted.plus(cooldown))) {
      probeStarted = now;
      return true;
    }
    return false;
  }

  synchronized void recordSuccess() {
    openUntil = null;
    probeStarted = null;
  }

  /** @param reason why the call failed, safe to show a user */
  synchronized void recordFailure(String reason) {
    lastFailure = reason;
    if (cooldown.isZero()) {
      return;
    }
    openUntil = clock.instant().plus(cooldown);
    probeStarted = null;
  }

  /** @return why the last call failed, or an empty string */
  synchronized String lastFailure() {
    return lastFailure;
  }

  /** @return whether requests are currently being kept from the upstream */
  synchronized boolean isOpen() {
    return openUntil != null;
  }
}
