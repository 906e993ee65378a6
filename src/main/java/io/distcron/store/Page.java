package io.distcron.store;

import java.util.List;

/**
 * One page of a listing. {@code next} is an opaque cursor for the following page, or null when this
 * page is the last one.
 */
public record Page<T>(List<T> items, String next) {

  public Page {
    items = List.copyOf(items);
  }
}
