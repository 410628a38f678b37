"""Device contexts from the graph, rendering at the engine's edge, stored configs."""
