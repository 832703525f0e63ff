package io.spindle.db;

import io.spindle.http.Problem;

/** A db class that imports http, against the arrows: {@code ArchitectureTest} must catch it. Tests only. */
public final class WrongWayFixture {
    public static Problem wrongWay() {
        return Problem.of(500, "Internal Server Error", "never used");
    }
}
