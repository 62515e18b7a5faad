package dev.goblet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's commands and quoted code stay true to the project. */
class ReadmeTest {
  private static final Pattern QUOTED =
      Pattern.compile("<!-- quoted from (\\S+) -->\\s*```\\w*\\n(.*?)```", Pattern.DOTALL);

  private final Path root = QuickStartTest.projectRoot();

  @Test
  void theTwoCommandsAreTheOnesTestedAndRunByCi() throws Exception {
    String readme = Files.readString(root.resolve("README.md"));
    assertThat(readme).contains("```sh\n" + QuickStartTest.RUN_COMMAND + "\n```");
    assertThat(readme).contains("```sh\nmvn -B verify\n```");
    assertThat(readme).contains(
        QuickStartTest.RUN_COMMAND + " -D" + QuickStartTest.ADMIN_TOKEN_SETTING + "\n");
    assertThat(Files.readString(root.resolve(".ci/run"))).contains("\nmvn -B verify\n");
  }

  @Test
  void everyQuotedBlockAppearsVerbatimInItsSource() throws Exception {
    String readme = Files.readString(root.resolve("README.md"));
    Matcher quoted = QUOTED.matcher(readme);
    int blocks = 0;
    while (quoted.find()) {
      blocks++;
      String source = Files.readString(root.resolve(quoted.group(1)));
      assertThat(source).as(quoted.group(1)).contains(quoted.group(2));
    }
    assertThat(blocks).isGreaterThanOrEqualTo(2);
  }
}
