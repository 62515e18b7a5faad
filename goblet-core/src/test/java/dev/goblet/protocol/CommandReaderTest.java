package dev.goblet.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GobletException;
import dev.goblet.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandReaderTest {
  private static final String LS_REFS =
      "0014command=ls-refs\n0015agent=git/2.39.5\n0017object-format=sha1\n0001"
          + "0009peel\n000csymrefs\n001bref-prefix refs/heads/\n0000";

  @Test
  void readsARealGitLsRefsRequest() throws Exception {
    List<Command> commands = List.of(CommandReader.readOne(bytes(LS_REFS)));
    assertThat(commands).containsExactly(
        new Command(
            "ls-refs",
            List.of("agent=git/2.39.5", "object-format=sha1"),
            List.of("peel", "symrefs", "ref-prefix refs/heads/")));
  }

  @Test
  void encodeIsTheInverseOfRead() throws Exception {
    Command command = CommandReader.readOne(bytes(LS_REFS));
    assertThat(new String(command.encode(), StandardCharsets.UTF_8)).isEqualTo(LS_REFS);
  }

  @Test
  void readsACommandWithoutArgumentsAndRefusesASecondCommand() throws Exception {
    Command fetch = CommandReader.readOne(bytes("0012command=fetch\n0000"));
    assertThat(fetch.name()).isEqualTo("fetch");
    assertThat(fetch.arguments()).isEmpty();
    assertThatThrownBy(() -> CommandReader.readOne(bytes("0012command=fetch\n0000" + LS_REFS)))
        .isInstanceOfSatisfying(
            GobletException.class, e -> assertThat(e.status()).isEqualTo(Status.BAD_REQUEST))
        .hasMessage(
            "the proxy answers one command per request, as git sends them; this request has more"
                + " than one");
  }

  @Test
  void argumentValuesSelectByKeyword() throws Exception {
    Command fetch =
        new Command("fetch", List.of(), List.of("want aaa", "want bbb", "done", "want-ref refs/x"));
    assertThat(fetch.argumentValues("want ")).containsExactly("aaa", "bbb");
    assertThat(fetch.argumentValues("want-ref ")).containsExactly("refs/x");
  }

  @Test
  void malformedInputIsABadRequestWithAClearMessage() {
    assertBad("", "empty request");
    assertBad("0000", "empty request");
    assertBad("zzzz", "malformed pkt-line");
    assertBad("0014command=ls-refs\n", "truncated");
    assertBad("0014command=ls-ref", "truncated");
    assertBad("0009peel\n0000", "expected command=<name>");
    assertBad("0001", "expected command=<name> but got a delimiter");
    assertBad("0014command=ls-refs\n000100010000", "two delimiters");
    assertBad("fff0" + "x".repeat(10), "truncated");
    assertBad("fff1" + "x".repeat(70000), "malformed");
  }

  private static void assertBad(String body, String message) {
    assertThatThrownBy(() -> CommandReader.readOne(bytes(body)))
        .as(body)
        .isInstanceOfSatisfying(
            GobletException.class, e -> assertThat(e.status()).isEqualTo(Status.BAD_REQUEST))
        .hasMessageContaining(message);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
