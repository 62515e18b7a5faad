package dev.goblet.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProtocolVersionTest {
  @Test
  void theProtocolVersionIsTheHighestTheClientNames() {
    assertThat(ProtocolVersion.of(List.of())).isEqualTo(ProtocolVersion.V0);
    assertThat(ProtocolVersion.of(List.of("version=0"))).isEqualTo(ProtocolVersion.V0);
    assertThat(ProtocolVersion.of(List.of("version=1"))).isEqualTo(ProtocolVersion.V1);
    assertThat(ProtocolVersion.of(List.of("version=2"))).isEqualTo(ProtocolVersion.V2);
    assertThat(ProtocolVersion.of(List.of("version=1", "version=2")))
        .isEqualTo(ProtocolVersion.V2);
    assertThat(ProtocolVersion.of(List.of("version=3", "object-format=sha1")))
        .isEqualTo(ProtocolVersion.V0);
  }
}
