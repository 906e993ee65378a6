package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.util.ByteString;

/**
 * What any input must be before a route acts on it. Text must be storable and passable: no NUL
 * (PostgreSQL's TEXT cannot hold it, and a process's arguments and environment end at it) and no
 * unpaired surrogate (it has no UTF-8 form, so it cannot be written to the journal or the
 * database). A body must be JSON: at most the configured size, in UTF-8, and sent as JSON.
 */
final class Inputs {
  /**
   * Bodies may come as {@code application/json}; as {@code application/x-www-form-urlencoded},
   * which is what {@code curl -d} sends unless told otherwise; or with no type at all (Pekko reads
   * a missing {@code Content-Type} as {@code application/octet-stream}). The body is JSON either
   * way; any other type is refused.
   */
  private static final List<MediaType> JSON_BODY =
      List.of(
          MediaTypes.APPLICATION_JSON,
          MediaTypes.APPLICATION_X_WWW_FORM_URLENCODED,
          MediaTypes.APPLICATION_OCTET_STREAM);

  private static final String UNSTORABLE = "holds a NUL character or an unpaired surrogate";

  private Inputs() {}

  /** Refuses a request whose decoded path or query holds text no route could use. */
  static Route checkedUri(Supplier<Route> inner) {
    return extractUri(
        uri -> {
          check(uri);
          return inner.get();
        });
  }

  private static void check(Uri uri) {
    for (String segment : uri.pathSegments()) {
      if (!storable(segment)) throw ApiError.badRequest("path", "the path " + UNSTORABLE);
    }
    for (Pair<String, String> p : uri.query().toList()) {
      if (!storable(p.first()) || !storable(p.second())) {
        String field = storable(p.first()) ? p.first() : "query";
        throw ApiError.badRequest(field, "query parameter '" + field + "' " + UNSTORABLE);
      }
    }
  }

  /** The request's body as text, or an {@link ApiError} saying why it is not a JSON body. */
  static Route jsonBody(long maxBytes, Function<String, Route> inner) {
    return withSizeLimit(
        maxBytes,
        () ->
            extractRequest(
                request -> {
                  HttpEntity entity = request.entity();
                  MediaType type = entity.getContentType().mediaType();
                  // A Content-Type Pekko could not parse stays among the headers, as a raw one.
                  boolean unparsed = request.getHeader("Content-Type").isPresent();
                  if (unparsed
                      || !JSON_BODY.contains(type)
                          && !entity.getContentType().equals(ContentTypes.NO_CONTENT_TYPE)) {
                    String given =
                        unparsed
                            ? request.getHeader("Content-Type").get().value()
                            : type.toString();
                    throw new ApiError(
                        415,
                        "Content-Type",
                        "the body must be JSON (Content-Type: application/json), not " + given);
                  }
                  return entity(
                      Unmarshaller.entityToByteString(), bytes -> inner.apply(utf8(bytes)));
                }));
  }

  private static String utf8(ByteString bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes.asByteBuffer())
          .toString();
    } catch (CharacterCodingException e) {
      throw ApiError.badRequest("body", "the body is not valid UTF-8");
    }
  }

  /**
   * {@code value} if it is storable text of at most {@code maxLength} characters (null passes);
   * otherwise an {@link ApiError} naming {@code field}.
   */
  static String text(String value, String field, int maxLength) {
    if (value == null) return null;
    if (value.length() > maxLength) {
      throw ApiError.badRequest(field, field + " is longer than " + maxLength + " characters");
    }
    if (value.indexOf('\0') >= 0) {
      throw ApiError.badRequest(field, field + " must not contain a NUL character");
    }
    if (!storable(value)) {
      throw ApiError.badRequest(field, field + " is not valid Unicode (an unpaired surrogate)");
    }
    return value;
  }

  /** No NUL and no unpaired surrogate. */
  static boolean storable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\0') return false;
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
