{
  "targets": [
    {
      "target_name": "process_spawn",
      "sources": ["src/process_spawn.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
