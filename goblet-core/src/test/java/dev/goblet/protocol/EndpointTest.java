package dev.goblet.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GobletException;
import org.junit.jupiter.api.Test;

class EndpointTest {
  @Test
  void splitsRepositoryAndEndpoint() throws Exception {
    assertThat(Endpoint.route("/github.com/o/r.git/info/refs"))
        .isEqualTo(new Endpoint.Route("/github.com/o/r.git", Endpoint.INFO_REFS));
    assertThat(Endpoint.route("/github.com/o/r/git-upload-pack"))
        .isEqualTo(new Endpoint.Route("/github.com/o/r", Endpoint.UPLOAD_PACK));
    assertThat(Endpoint.route("/h/o/r/git-receive-pack").endpoint())
        .isEqualTo(Endpoint.RECEIVE_PACK);
  }

  @Test
  void refusesOtherPathsAndControlCharacters() {
    assertThatThrownBy(() -> Endpoint.route("/github.com/o/r/objects/info/packs"))
        .isInstanceOf(GobletException.class).hasMessageContaining("not a Git smart HTTP endpoint");
    assertThatThrownBy(() -> Endpoint.route("/info/refs")).isInstanceOf(GobletException.class);
    assertThatThrownBy(() -> Endpoint.route("/h/o\u0000/r/info/refs"))
        .isInstanceOf(GobletException.class).hasMessageContaining("control character");
    assertThatThrownBy(() -> Endpoint.route("/h/o\\r/info/refs"))
        .isInstanceOf(GobletException.class).hasMessageContaining("backslash");
  }
}
