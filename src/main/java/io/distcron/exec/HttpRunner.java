package io.distcron.exec;

import io.distcron.run.Action;
import io.distcron.run.RunStatus;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.OutgoingConnectionBuilder;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.RequestEntityAcceptances;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import scala.util.Either;

/**
 * Runs an HTTP job: one request with the Pekko HTTP client, the response body streamed into a
 * bounded {@link OutputTail}. The executor calls it from any thread; it never blocks and never
 * throws for a bad request or a failed exchange, which become a {@code FAILED} {@link Result}.
 *
 * <p>The {@link Result}'s {@code exitCode} is the HTTP status code; the run succeeds when {@link
 * Action.Http#expected} accepts it. The whole exchange (connect, TLS, request, response headers and
 * body) is bounded by one timeout; when it expires the connection is closed, whatever state it is
 * in, and the run is {@code TIMED_OUT} with what the body had delivered so far.
 *
 * <p>Each run has a connection of its own rather than one from Pekko's per-host pool ({@code
 * singleRequest}): a pooled request whose response never comes cannot be withdrawn, so it would
 * hold one of the host's few pooled connections until the client idle timeout (60 s by default),
 * and later runs against the same host would queue behind it and time out unsent. Cron runs are
 * minutes apart, so reusing connections would gain nothing. Redirects are not followed.
 *
 * <p>An HTTP run cannot be killed; its timeout bounds it.
 */
public final class HttpRunner {

  /** Pekko renders these from the entity and drops them, with a warning, when set as headers. */
  private static final List<String> ENTITY_HEADERS = List.of("content-length", "transfer-encoding");

  /** How long past the run's timeout the connection's idle timeout may be. */
  private static final Duration IDLE_SLACK = Duration.ofSeconds(1);

  private final ActorSystem<?> system;
  private final Http http;
  private final ClientConnectionSettings clientSettings;
  private final int tailBytes;

  /**
   * @param system runs the client streams and the timeout timers
   * @param tailBytes how many of the last body bytes to keep per run
   */
  public HttpRunner(ActorSystem<?> system, int tailBytes) {
    if (tailBytes <= 0) {
      throw new IllegalArgumentException("tailBytes must be positive, got " + tailBytes);
    }
    this.system = Objects.requireNonNull(system, "system");
    this.http = Http.get(system);
    this.clientSettings = ClientConnectionSettings.create(system.settings().config());
    this.tailBytes = tailBytes;
  }

  /**
   * Sends the request and reads the response body to its end.
   *
   * <p>A {@code Content-Type} header becomes the body's content type (Pekko takes it from the
   * entity only) and the body is encoded in its charset, UTF-8 when it names none. A body without a
   * {@code Content-Type} header is sent as {@code text/plain; charset=UTF-8}. {@code
   * Content-Length} and {@code Transfer-Encoding} headers are ignored: the body decides them.
   *
   * @param action what to send; its {@code timeoutSeconds} is not read here, the caller resolves it
   *     into {@code timeout}
   * @param timeout bounds the whole exchange; must be positive
   * @param onOutput receives the response body as UTF-8 text while it arrives, in chunks that never
   *     split a character, on a stream thread; null for none. It must not block. After it throws
   *     once it is not called again.
   * @return completes with the outcome, never exceptionally
   */
  public CompletionStage<Result> run(
      Action.Http action, Duration timeout, Consumer<String> onOutput) {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isZero() || timeout.isNegative()) {
      return failed("timeout must be positive, got " + timeout);
    }
    Target target;
    HttpRequest request;
    try {
      target = Target.parse(action.url());
      request = request(action, target.uri());
    } catch (InvalidRequest e) {
      return failed(e.getMessage());
    } catch (RuntimeException e) {
      return failed("invalid request: " + e.getMessage());
    }
    try {
      return exchange(action, target, request, timeout, onOutput);
    } catch (RuntimeException e) {
      // E.g. the actor system is terminating and the stream cannot be materialized.
      return failed("request failed: " + describe(e, target));
    }
  }

  private CompletionStage<Result> exchange(
      Action.Http action,
      Target target,
      HttpRequest request,
      Duration timeout,
      Consumer<String> onOutput) {
    OutgoingConnectionBuilder builder =
        http.connectionTo(target.host())
            .toPort(target.port())
            .withClientConnectionSettings(connectionSettings(timeout));
    Body body = new Body(new OutputTail(tailBytes), onOutput);
    // The request side stays open until the response head arrives: completed, it could no longer
    // be failed, and only a failure on that side makes the client close the TCP connection.
    Pair<CompletableFuture<Optional<HttpRequest>>, Source<HttpRequest, NotUsed>> requestsEnd =
        Source.<HttpRequest>maybe().preMaterialize(system);
    Pair<UniqueKillSwitch, CompletionStage<Done>> running =
        Source.single(request)
            .concat(requestsEnd.second())
            .via(target.https() ? builder.https() : builder.http())
            .flatMapConcat(
                response -> {
                  body.status = response.status().intValue();
                  requestsEnd.first().complete(Optional.empty());
                  return response.entity().getDataBytes();
                })
            // Behind everything, so aborting it cancels the body, the response and the connection.
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(Sink.foreach(body::append), Keep.both())
            .run(system);
    Cancellable timer =
        system
            .scheduler()
            .scheduleOnce(
                timeout,
                () -> {
                  // The flag decides the outcome: either abort may surface first, in any wrapping.
                  body.timedOut = true;
                  running.first().abort(new TimedOut());
                  requestsEnd.first().completeExceptionally(new TimedOut());
                },
                system.executionContext());
    CompletableFuture<Result> result = new CompletableFuture<>();
    running
        .second()
        .whenComplete(
            (done, error) -> {
              timer.cancel();
              requestsEnd.first().complete(Optional.empty()); // failed before any response
              body.finish();
              Result r;
              try {
                r = outcome(action, target, timeout, body, error);
              } catch (RuntimeException e) {
                r = new Result(RunStatus.FAILED, body.status, body.tail.text(), e.toString());
              }
              result.complete(r);
            });
    return result;
  }

  /**
   * The client closes a connection that has been quiet for its idle timeout (60 s by default),
   * which would fail a job whose endpoint works for minutes before it answers. The run's own
   * timeout is the budget the job asked for, so the idle timeout only guards beyond it.
   */
  private ClientConnectionSettings connectionSettings(Duration timeout) {
    scala.concurrent.duration.Duration idle = clientSettings.getIdleTimeout();
    Duration beyond = timeout.plus(IDLE_SLACK);
    return idle.isFinite() && idle.toMillis() < beyond.toMillis()
        ? clientSettings.withIdleTimeout(beyond)
        : clientSettings;
  }

  private static Result outcome(
      Action.Http action, Target target, Duration timeout, Body body, Throwable error) {
    Integer status = body.status;
    String tail = body.tail.text();
    if (error == null) {
      if (status == null) {
        return new Result(RunStatus.FAILED, null, tail, "no response");
      }
      if (action.expected(status)) {
        return new Result(RunStatus.SUCCEEDED, status, tail, null);
      }
      String expected = action.expectStatus().isEmpty() ? "2xx" : action.expectStatus().toString();
      return new Result(
          RunStatus.FAILED, status, tail, "HTTP " + status + " (expected " + expected + ")");
    }
    Throwable cause = unwrap(error);
    if (body.timedOut || cause instanceof TimedOut) {
      return new Result(
          RunStatus.TIMED_OUT, status, tail, "timed out after " + Execution.human(timeout));
    }
    String prefix = status == null ? "" : "HTTP " + status + ", reading the body failed: ";
    return new Result(RunStatus.FAILED, status, tail, prefix + describe(cause, target));
  }

  /** Pekko wraps the socket's exception in its own, whose message is a dump of the command. */
  private static String describe(Throwable error, Target target) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        return "unknown host: " + target.host();
      }
      if (t instanceof SSLException) {
        return "TLS with " + target.authority() + " failed: " + t.getMessage();
      }
      if (t instanceof ConnectException) {
        String why = String.valueOf(t.getMessage());
        boolean refused = why.toLowerCase(Locale.ROOT).contains("refused");
        return (refused ? "connection refused" : "cannot connect (" + why + ")")
            + ": "
            + target.authority();
      }
      if (t.getCause() == null || t.getCause() == t) {
        return t.getMessage() == null ? t.getClass().getName() : t.getMessage();
      }
    }
    return String.valueOf(error);
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static CompletionStage<Result> failed(String message) {
    return CompletableFuture.completedFuture(new Result(RunStatus.FAILED, null, "", message));
  }

  private static HttpRequest request(Action.Http action, Uri uri) throws InvalidRequest {
    HttpMethod method = method(action.method());
    ContentType contentType = null;
    List<HttpHeader> headers = new ArrayList<>();
    for (Map.Entry<String, String> h : action.headers().entrySet()) {
      String name = h.getKey();
      String value = h.getValue() == null ? "" : h.getValue();
      checkHeader(name, value);
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("content-type")) {
        contentType = contentType(value);
      } else if (!ENTITY_HEADERS.contains(lower)) {
        headers.add(HttpHeader.parse(name, value));
      }
    }
    return HttpRequest.create()
        .withMethod(method)
        // Origin form: the connection is the target's own, and adds the Host header from it.
        .withUri(uri.toRelative())
        .addHeaders(headers)
        .withEntity(entity(action.body(), contentType));
  }

  private static HttpMethod method(String name) throws InvalidRequest {
    String upper = name.trim().toUpperCase(Locale.ROOT);
    if (!isToken(upper)) {
      throw new InvalidRequest("invalid method '" + name + "'");
    }
    // Extension methods are legitimate for cron jobs, e.g. a cache's PURGE.
    return HttpMethods.lookup(upper)
        .orElseGet(
            () -> HttpMethods.custom(upper, false, false, RequestEntityAcceptances.Tolerated));
  }

  private static ContentType contentType(String value) throws InvalidRequest {
    // The Scala parser, because the Java one throws "Either.right.get on Left" and loses the
    // reason.
    Either<
            scala.collection.immutable.List<ErrorInfo>,
            org.apache.pekko.http.scaladsl.model.ContentType>
        parsed = org.apache.pekko.http.scaladsl.model.ContentType.parse(value);
    if (parsed.isRight()) {
      return parsed.toOption().get();
    }
    String why = parsed.swap().toOption().get().head().summary();
    throw new InvalidRequest("invalid Content-Type header '" + value + "': " + why);
  }

  private static RequestEntity entity(String body, ContentType contentType) throws InvalidRequest {
    if (body == null && contentType == null) {
      return HttpEntities.EMPTY;
    }
    ContentType type = contentType == null ? ContentTypes.TEXT_PLAIN_UTF8 : contentType;
    Charset charset = StandardCharsets.UTF_8;
    if (type instanceof ContentType.NonBinary nb) {
      try {
        charset = nb.charset().nioCharset();
      } catch (RuntimeException e) {
        throw new InvalidRequest(
            "unsupported charset in Content-Type header '" + type.value() + "'");
      }
    }
    byte[] bytes = body == null ? new byte[0] : body.getBytes(charset);
    return HttpEntities.create(type, bytes);
  }

  /** Pekko renders header values as given: a line break would let a job forge headers. */
  private static void checkHeader(String name, String value) throws InvalidRequest {
    if (name == null || !isToken(name)) {
      throw new InvalidRequest("invalid header name '" + name + "'");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        throw new InvalidRequest("invalid value for header " + name + ": control character");
      }
    }
  }

  /** RFC 9110 token: what header names and methods are made of. */
  public static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Where to connect, from an absolute http or https URL. */
  private record Target(Uri uri, boolean https, String host, int port) {

    private static final Pattern PARSE_ERROR =
        Pattern.compile("Invalid input '(.+?)', expected .*\\(line 1, column (\\d+)\\)");

    static Target parse(String url) throws InvalidRequest {
      if (url == null || url.isBlank()) {
        throw new InvalidRequest("invalid url: empty");
      }
      Uri uri;
      try {
        uri = Uri.create(url.trim());
      } catch (RuntimeException e) {
        throw new InvalidRequest("invalid url '" + url + "': " + parseError(e.getMessage()));
      }
      String scheme = uri.scheme().toLowerCase(Locale.ROOT);
      if (scheme.isEmpty()) {
        throw new InvalidRequest(
            "invalid url '" + url + "': not absolute, must start with http://" + " or https://");
      }
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new InvalidRequest("invalid url '" + url + "': scheme must be http or https");
      }
      String host = uri.host().address();
      if (host.isEmpty()) {
        throw new InvalidRequest("invalid url '" + url + "': no host");
      }
      return new Target(uri, scheme.equals("https"), host, uri.port());
    }

    /** host:port, with an IPv6 address in brackets. */
    String authority() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * Pekko says "Illegal URI reference: Invalid input ' ', expected scheme-char, ':', pchar, ...
     * (line 1, column 4): ..."; the grammar's rule names mean nothing to whoever wrote the job.
     */
    private static String parseError(String message) {
      if (message == null) {
        return "unparsable";
      }
      Matcher m = PARSE_ERROR.matcher(message);
      if (m.find()) {
        return "unexpected '" + m.group(1) + "' at position " + m.group(2);
      }
      int nl = message.indexOf('\n');
      return nl < 0 ? message : message.substring(0, nl);
    }
  }

  /** The response body as it arrives: into the tail, and to the listener as text. */
  private static final class Body {
    final OutputTail tail;
    // Written by the stream before the first body byte, read once the stream has completed.
    volatile Integer status;
    volatile boolean timedOut;
    private volatile Consumer<String> listener;
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    // The start of a character cut by a chunk boundary: at most 3 bytes.
    private ByteBuffer pending = ByteBuffer.allocate(0);

    Body(OutputTail tail, Consumer<String> listener) {
      this.tail = tail;
      this.listener = listener;
    }

    void append(ByteString chunk) {
      byte[] b = chunk.toArray();
      tail.append(b, 0, b.length);
      if (listener != null) {
        ByteBuffer in = ByteBuffer.allocate(pending.remaining() + b.length);
        in.put(pending).put(b).flip();
        emit(in, false);
      }
    }

    /** Called once the stream has ended, however it ended. */
    void finish() {
      if (listener != null && pending.hasRemaining()) {
        emit(pending, true);
      }
      listener = null;
    }

    private void emit(ByteBuffer in, boolean endOfInput) {
      // UTF-8 never decodes to more chars than bytes, replacement characters included.
      CharBuffer out = CharBuffer.allocate(in.remaining());
      decoder.decode(in, out, endOfInput);
      if (endOfInput) {
        decoder.flush(out);
      }
      pending = ByteBuffer.allocate(in.remaining()).put(in).flip();
      out.flip();
      Consumer<String> l = listener;
      if (l == null || !out.hasRemaining()) {
        return;
      }
      try {
        l.accept(out.toString());
      } catch (RuntimeException e) {
        // A failing listener must not fail the run: the body still goes to the tail.
        listener = null;
      }
    }
  }

  /** The timer's reason to abort the stream, told apart from every failure of the exchange. */
  private static final class TimedOut extends RuntimeException {
    TimedOut() {
      super("timed out", null, false, false);
    }
  }

  private static final class InvalidRequest extends Exception {
    InvalidRequest(String message) {
      super(message);
    }
  }
}
