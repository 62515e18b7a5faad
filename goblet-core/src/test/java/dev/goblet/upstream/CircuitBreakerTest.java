package dev.goblet.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.Status;
import dev.goblet.testing.FakeClock;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-01-01T00:00:00Z"));
  private final CircuitBreaker breaker = new CircuitBreaker(clock, Duration.ofSeconds(30));

  @Test
  void opensOnFailureAndLetsOneProbeThroughAfterTheCooldown() {
    assertThat(breaker.allowRequest()).isTrue();
    breaker.recordFailure("down");
    assertThat(breaker.allowRequest()).isFalse();
    clock.advance(Duration.ofSeconds(29));
    assertThat(breaker.allowRequest()).isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(breaker.allowRequest()).as("the probe").isTrue();
    assertThat(breaker.allowRequest()).as("while the probe is out").isFalse();
    breaker.recordSuccess();
    assertThat(breaker.allowRequest()).isTrue();
    assertThat(breaker.isOpen()).isFalse();
  }

  @Test
  void aFailedProbeOpensAgainAndALostProbeIsReplaced() {
    breaker.recordFailure("down");
    clock.advance(Duration.ofSeconds(30));
    assertThat(breaker.allowRequest()).isTrue();
    breaker.recordFailure("down");
    assertThat(breaker.allowRequest()).isFalse();
    clock.advance(Duration.ofSeconds(30));
    assertThat(breaker.allowRequest()).isTrue(); // probe never reports
    clock.advance(Duration.ofSeconds(30));
    assertThat(breaker.allowRequest()).as("replacement probe").isTrue();
  }

  @Test
  void zeroCooldownNeverOpens() {
    CircuitBreaker off = new CircuitBreaker(clock, Duration.ZERO);
    off.recordFailure("down");
    assertThat(off.allowRequest()).isTrue();
  }

  @Test
  void gateSwitchAndPerServerBreakers() {
    UpstreamGate gate = new UpstreamGate(true, clock, Duration.ofSeconds(30));
    URI a = URI.create("https://a.example/x/y");
    URI b = URI.create("https://b.example/x/y");
    gate.recordFailure(a, new UpstreamException(Status.NOT_FOUND, "no such repo", false, null));
    assertThat(gate.mayCall(a)).as("a refusal is not an outage").isTrue();
    gate.recordFailure(a, new UpstreamException(Status.UNAVAILABLE, "down", true, null));
    assertThat(gate.mayCall(a)).isFalse();
    assertThat(gate.unavailableReason(a)).contains("(down)");
    assertThat(gate.mayCall(b)).isTrue();
    assertThat(gate.isAvailable()).isFalse();
    gate.setEnabled(false);
    assertThat(gate.mayCall(b)).isFalse();
    assertThat(gate.isUnavailable(b)).isTrue();
  }

}
