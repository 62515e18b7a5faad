package dev.goblet.protocol;

import java.util.List;

/**
 * The Git wire protocol version a request speaks, from its {@code Git-Protocol} header: {@code
 * version=2} selects v2, {@code version=1} v1, anything else (or no header, as libgit2, JGit's v0
 * mode and old git send) v0. The highest version named wins, as in git's own server.
 */
enum ProtocolVersion {
  /** The original protocol: a ref advertisement, then want/have negotiation. */
  V0,
  /** v0 with a {@code version 1} line at the start of the ref advertisement. */
  V1,
  /** Commands ({@code ls-refs}, {@code fetch}) after a capability advertisement. */
  V2;

  /**
   * @param parameters the {@code Git-Protocol} header's parameters, such as {@code version=2}
   * @return the version they ask for
   */
  static ProtocolVersion of(List<String> parameters) {
    ProtocolVersion version = V0;
    for (String parameter : parameters) {
      if (parameter.equals("version=2")) {
        return V2;
      }
      if (parameter.equals("version=1")) {
        version = V1;
      }
    }
    return version;
  }
}
