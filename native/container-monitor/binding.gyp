{
  "targets": [
    {
      "target_name": "skiff-monitor",
      "type": "executable",
      "sources": [
        "src/container_monitor.c"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags": [
        "-O2",
        "-Wall",
        "-Wextra"
      ],
      "ldflags": [
        "<!@(printf 'int main(void){return 0;}' | ${CC:-cc} -static -x c -o /dev/null - 2>/dev/null && echo -static || true)"
      ]
    }
  ]
}
