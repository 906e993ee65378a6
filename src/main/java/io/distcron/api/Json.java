package io.distcron.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * JSON in and out of the API. Pekko's mapper is lenient for the sake of rolling upgrades; the API
 * is strict: a typo in a field name is an error rather than a silently ignored setting, a key given
 * twice is an error rather than "the last one wins", and a value of the wrong JSON type is an error
 * rather than a guess: {@code "name": 1} is not the job "1", {@code "enabled": 1} and {@code
 * "enabled": "true"} are not true, {@code "timeoutSeconds": "30"} and {@code 30.7} are not 30, and
 * {@code ""} is not an absent object. A whole number is still a valid fractional one ({@code
 * "multiplier": 2}).
 */
final class Json {
  private final ObjectMapper mapper;

  Json(ObjectMapper pekkoMapper) {
    ObjectMapper m =
        pekkoMapper
            .copy()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .disable(DeserializationFeature.UNWRAP_SINGLE_VALUE_ARRAYS)
            .disable(DeserializationFeature.ACCEPT_EMPTY_STRING_AS_NULL_OBJECT)
            .disable(DeserializationFeature.ACCEPT_EMPTY_ARRAY_AS_NULL_OBJECT)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    m.getFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    m.coercionConfigDefaults()
        .setAcceptBlankAsEmpty(false)
        .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.EmptyArray, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.EmptyObject, CoercionAction.Fail);
    refuse(m, LogicalType.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean);
    refuse(m, LogicalType.Float, CoercionInputShape.Boolean);
    refuse(m, LogicalType.Boolean, CoercionInputShape.Integer, CoercionInputShape.Float);
    refuse(
        m,
        LogicalType.Textual,
        CoercionInputShape.Integer,
        CoercionInputShape.Float,
        CoercionInputShape.Boolean);
    for (LogicalType t : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
      refuse(m, t, CoercionInputShape.String, CoercionInputShape.EmptyString);
    }
    this.mapper = m;
  }

  private static void refuse(ObjectMapper m, LogicalType type, CoercionInputShape... shapes) {
    for (CoercionInputShape s : shapes)
      m.coercionConfigFor(type).setCoercion(s, CoercionAction.Fail);
  }

  /**
   * The body as {@code type}, or an {@link ApiError} naming the field (its JSON path, such as
   * {@code retry.maxAttempts} or {@code shell.env.HOME}), or {@code body} for the body as a whole.
   */
  <T> T read(String body, Class<T> type) {
    if (body == null || body.isBlank())
      throw ApiError.badRequest("body", "a JSON body is required");
    T value;
    try {
      value = mapper.readValue(body, type);
    } catch (UnrecognizedPropertyException e) {
      throw ApiError.badRequest(path(e), "unknown field '" + path(e) + "'");
    } catch (JsonMappingException e) {
      // A parser error met while a field was read arrives wrapped, with the field's path.
      if (e.getCause() instanceof StreamConstraintsException
          || e.getCause() instanceof StreamReadException p
              && !(p instanceof InputCoercionException)) {
        throw malformed((JsonProcessingException) e.getCause());
      }
      String field = path(e);
      if (field.isEmpty()) throw ApiError.badRequest("body", "the body must be a JSON object");
      throw ApiError.badRequest(field, "field '" + field + "' must be " + expected(e));
    } catch (JsonProcessingException e) {
      throw malformed(e);
    }
    if (value == null) throw ApiError.badRequest("body", "the body must be a JSON object");
    return value;
  }

  private static ApiError malformed(JsonProcessingException e) {
    if (e instanceof StreamConstraintsException) {
      return ApiError.badRequest("body", "the body is too large or too deeply nested");
    }
    // STRICT_DUPLICATE_DETECTION's error has no type of its own; the parser stands on the key.
    if (e.getOriginalMessage().startsWith("Duplicate field")
        && e.getProcessor() instanceof JsonParser p) {
      String field = path(p.getParsingContext());
      return ApiError.badRequest(field, "field '" + field + "' is given more than once");
    }
    return ApiError.badRequest("body", "malformed JSON: " + e.getOriginalMessage());
  }

  /** {@code a.b[2].c}, as a client would write it. */
  private static String path(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (path.length() > 0) path.append('.');
        path.append(r.getFieldName());
      } else {
        path.append('[').append(r.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  private static String path(JsonStreamContext context) {
    List<JsonStreamContext> chain = new ArrayList<>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent())
      chain.add(0, c);
    StringBuilder path = new StringBuilder();
    for (JsonStreamContext c : chain) {
      if (c.inArray()) {
        path.append('[').append(c.getCurrentIndex()).append(']');
      } else if (c.getCurrentName() != null) {
        if (path.length() > 0) path.append('.');
        path.append(c.getCurrentName());
      }
    }
    return path.length() == 0 ? "body" : path.toString();
  }

  private static String expected(JsonMappingException e) {
    if (e.getCause() instanceof InputCoercionException) return "a number in range";
    Class<?> target = e instanceof MismatchedInputException m ? m.getTargetType() : null;
    if (target == null) return "of the right type";
    if (target == Integer.class || target == int.class || target == Long.class) {
      return "a whole number";
    }
    if (target == Double.class || target == double.class) return "a number";
    if (target == Boolean.class || target == boolean.class) return "true or false";
    if (target == String.class) return "a string";
    if (Collection.class.isAssignableFrom(target)) return "an array";
    if (Map.class.isAssignableFrom(target) || target.isRecord()) return "an object";
    return "of the right type";
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
