package dev.goblet.cache;

import static dev.goblet.cache.ClientRequests.CLONE;
import static dev.goblet.cache.ClientRequests.FETCH;
import static dev.goblet.cache.ClientRequests.FETCH_MAIN;
import static dev.goblet.cache.ClientRequests.LS_REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class LsRefsCoverageTest {

  static Stream<Arguments> clientTable() {
    return Stream.of(
        Arguments.of("clone", CLONE, "clone", CLONE, true),
        Arguments.of("clone", CLONE, "fetch", FETCH, true),
        Arguments.of("clone", CLONE, "fetch origin main", FETCH_MAIN, false),
        Arguments.of("clone", CLONE, "ls-remote", LS_REMOTE, false),
        Arguments.of("fetch", FETCH, "clone", CLONE, false),
        Arguments.of("fetch", FETCH, "fetch", FETCH, true),
        Arguments.of("fetch", FETCH, "fetch origin main", FETCH_MAIN, false),
        Arguments.of("fetch origin main", FETCH_MAIN, "fetch", FETCH, false),
        Arguments.of("fetch origin main", FETCH_MAIN, "clone", CLONE, false),
        Arguments.of("fetch origin main", FETCH_MAIN, "fetch origin main", FETCH_MAIN, true),
        Arguments.of("ls-remote", LS_REMOTE, "clone", CLONE, true),
        Arguments.of("ls-remote", LS_REMOTE, "fetch", FETCH, true),
        Arguments.of("ls-remote", LS_REMOTE, "fetch origin main", FETCH_MAIN, true),
        Arguments.of("ls-remote", LS_REMOTE, "ls-remote", LS_REMOTE, true));
  }

  @ParameterizedTest(name = "a {0} listing covers {2}: {4}")
  @MethodSource("clientTable")
  void clientRequests(
      String listingName,
      LsRefsArgs listing,
      String requestName,
      LsRefsArgs request,
      boolean covers) {
    assertThat(listing.covers(request)).isEqualTo(covers);
  }

  /** Columns: the listing's prefixes, the request's prefixes (both space separated), covered. */
  @ParameterizedTest(name = "[{0}] covers [{1}]: {2}")
  @CsvSource({
    // a request prefix inside a listing prefix is decided by it
    "refs/heads/, refs/heads/main, true",
    "refs/heads/, refs/heads/, true",
    "refs/heads/main, refs/heads/, false",
    "refs/heads/, refs/tags/, false",
    // prefixes that can only match HEAD need a listing that matched HEAD
    "HEAD, HEAD, true",
    "H, HEAD, true",
    "HEAD, H, true",
    "refs/, HEAD, false",
    // r, re, ref, refs and refs/ all match exactly the refs under refs/ (never HEAD)
    "refs/, refs, true",
    "r, refs/heads/, true",
    "refs, r, true",
    "refs/heads/, refs, false",
    "HEAD refs/heads/ refs/tags/, r, false",
    // a prefix that can match neither HEAD nor refs/ matches nothing: always covered
    "refs/tags/, main, true",
    "refs/tags/, HEADS, true",
    "refs/tags/, refs/tags/v1 main, true",
    "refs/tags/, refs/tags/v1 refs/main, false",
  })
  void prefixRules(String listingPrefixes, String requestPrefixes, boolean covers) {
    LsRefsArgs listing = LsRefsArgs.of(List.of(listingPrefixes.split(" ")), false, false, false);
    LsRefsArgs request = LsRefsArgs.of(List.of(requestPrefixes.split(" ")), false, false, false);

    assertThat(listing.covers(request)).isEqualTo(covers);
  }

  @Test
  void aFullRequestNeedsAFullListing() {
    LsRefsArgs everythingUnderRefsAndHead =
        LsRefsArgs.of(List.of("HEAD", "refs/"), true, true, true);

    assertThat(everythingUnderRefsAndHead.covers(LS_REMOTE)).isFalse();
    assertThat(LS_REMOTE.covers(LS_REMOTE)).isTrue();
  }

  @Test
  void attributesAreCoveredOnlyIfTheListingAskedForThem() {
    LsRefsArgs plain = LsRefsArgs.of(List.of(), false, false, false);
    LsRefsArgs symrefs = LsRefsArgs.of(List.of(), true, false, false);
    LsRefsArgs peel = LsRefsArgs.of(List.of(), false, true, false);

    assertThat(plain.covers(symrefs)).isFalse();
    assertThat(plain.covers(peel)).isFalse();
    assertThat(symrefs.covers(peel)).isFalse();
    assertThat(LS_REMOTE.covers(plain)).isTrue();
  }

  @Test
  void anUnbornHeadMattersOnlyWhenTheRequestWouldListIt() {
    LsRefsArgs cloneWithoutUnborn = CLONE.withUnborn(false);
    LsRefsArgs cloneWithoutSymrefs =
        LsRefsArgs.of(CLONE.prefixes(), false, CLONE.peel(), CLONE.unborn());

    // clone asks for unborn, symrefs and HEAD: an unborn HEAD would be listed
    assertThat(cloneWithoutUnborn.covers(CLONE)).isFalse();
    // git lists an unborn HEAD only with symrefs, and fetch's prefixes do not match HEAD
    assertThat(cloneWithoutUnborn.covers(cloneWithoutSymrefs)).isTrue();
    assertThat(cloneWithoutUnborn.covers(FETCH)).isTrue();
  }
}
