{
  "targets": [
    {
      "target_name": "skiff-oci-wrapper",
      "type": "executable",
      "sources": ["src/oci_wrapper.c"],
      "defines": ["_GNU_SOURCE"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "ldflags": ["-static"]
    }
  ]
}
