package dev.goblet.cache;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One line of an {@code ls-refs} answer, {@code <oid> <refname>[ <attribute>]...} or {@code unborn
 * HEAD symref-target:<target>}. Ref names cannot contain spaces, so tokens are space separated.
 * Immutable.
 */
public record RefLine(String text, String oid, String name, List<String> attributes) {
  /** The first token of the unborn HEAD line. */
  public static final String UNBORN = "unborn";

  /** The attribute naming a symbolic ref's target. */
  public static final String SYMREF_TARGET = "symref-target:";

  /** The attribute naming the object an annotated tag peels to. */
  public static final String PEELED = "peeled:";

  /**
   * @param text a pkt-line payload without its trailing LF
   * @return the parsed line
   * @throws IllegalArgumentException if the line is not an {@code ls-refs} answer line
   */
  public static RefLine parse(String text) {
    if (text.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("ls-refs line contains a line feed: '" + text + "'");
    }
    String[] tokens = text.split(" ", -1);
    if (tokens.length < 2 || Arrays.stream(tokens).anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException("malformed ls-refs line: '" + text + "'");
    }
    return new RefLine(text, tokens[0], tokens[1], List.of(tokens).subList(2, tokens.length));
  }

  /** @return whether this is the {@code unborn HEAD} line */
  public boolean isUnborn() {
    return oid.equals(UNBORN);
  }

  /** @return the value of the first attribute with the given key (such as {@code peeled:}) */
  Optional<String> attribute(String key) {
    return attributes.stream()
        .filter(attribute -> attribute.startsWith(key))
        .map(attribute -> attribute.substring(key.length()))
        .findFirst();
  }

  /**
   * @return this line as git writes it when {@code symrefs} and {@code peel} are as given; the
   *     original text when nothing is removed
   */
  String render(boolean symrefs, boolean peel) {
    List<String> kept =
        attributes.stream()
            .filter(attribute -> symrefs || !attribute.startsWith(SYMREF_TARGET))
            .filter(attribute -> peel || !attribute.startsWith(PEELED))
            .toList();
    if (kept.size() == attributes.size()) {
      return text;
    }
    StringBuilder line = new StringBuilder(oid).append(' ').append(name);
    kept.forEach(attribute -> line.append(' ').append(attribute));
    return line.toString();
  }
}
