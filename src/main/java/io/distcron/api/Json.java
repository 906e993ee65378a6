package io.distcron.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * JSON in and out of the API. Pekko's mapper is lenient for the sake of rolling upgrades; the API
 * is strict, so a typo in a field name is an error rather than a silently ignored setting.
 */
final class Json {
  private final ObjectMapper mapper;

  Json(ObjectMapper pekkoMapper) {
    this.mapper =
        pekkoMapper
            .copy()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  <T> T read(String body, Class<T> type) {
    if (body == null || body.isBlank())
      throw ApiError.badRequest("body", "a JSON body is required");
    try {
      return mapper.readValue(body, type);
    } catch (UnrecognizedPropertyException e) {
      throw ApiError.badRequest(path(e), "unknown field '" + path(e) + "'");
    } catch (JsonMappingException e) {
      String field = path(e);
      throw ApiError.badRequest(
          field.isEmpty() ? "body" : field,
          field.isEmpty()
              ? "the body must be a JSON object"
              : "field '" + field + "' has the wrong type");
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("body", "malformed JSON: " + e.getOriginalMessage());
    }
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
  }

  HttpResponse response(int status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, mapper.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + body.getClass().getSimpleName(), e);
    }
  }

  ObjectMapper mapper() {
    return mapper;
  }
}
