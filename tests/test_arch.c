/* test_arch.c - presets, arch files, size units and MPE modes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"

#define DATA SCHED_SOURCE_DIR "/tests/data/"

static int64_t size_ok(const char *text) {
  sched_diag_t d = {{0}};
  int64_t bytes = -1;
  cr_assert_eq(arch_parse_size(text, &bytes, &d), SCHED_OK, "'%s': %s", text, d.msg);
  return bytes;
}

static void size_bad(const char *text, const char *want) {
  sched_diag_t d = {{0}};
  int64_t bytes = -1;
  cr_assert_eq(arch_parse_size(text, &bytes, &d), SCHED_ERR_INPUT, "'%s' was accepted", text);
  cr_assert_str_eq(d.msg, want);
}

Test(arch, sizes_parse_binary_units_and_plain_bytes) {
  cr_assert_eq(size_ok("2MB"), 2097152);
  cr_assert_eq(size_ok("1936KB"), 1982464);
  cr_assert_eq(size_ok("1.5MiB"), 1572864);
  cr_assert_eq(size_ok("2097152"), 2097152);
  cr_assert_eq(size_ok("512B"), 512);
  cr_assert_eq(size_ok("1 KiB"), 1024);
  cr_assert_eq(size_ok("0.5KB"), 512);
  cr_assert_eq(size_ok("1GiB"), INT64_C(1) << 30);
  cr_assert_eq(size_ok("2mb"), 2097152);
}

Test(arch, bad_sizes_are_one_error_naming_the_text) {
  size_bad("", "bad size '': empty");
  size_bad("-2MB", "bad size '-2MB': negative");
  size_bad("0", "bad size '0': zero");
  size_bad("0KB", "bad size '0KB': zero");
  size_bad("2XB", "bad size '2XB': unknown unit 'XB' (use B, KB, MB, GB, KiB, MiB or GiB)");
  size_bad("1.5", "bad size '1.5': not a whole number of bytes");
  size_bad("0.3KB", "bad size '0.3KB': not a whole number of bytes");
  size_bad("2000GB", "bad size '2000GB': larger than 1 TiB");
  size_bad("99999999999999999999", "bad size '99999999999999999999': larger than 1 TiB");
  size_bad("abc", "bad size 'abc': not a number");
}

Test(arch, sizes_format_with_binary_units) {
  char buf[32];
  cr_assert_str_eq(arch_format_size(512, buf, sizeof buf), "512 B");
  cr_assert_str_eq(arch_format_size(2097152, buf, sizeof buf), "2.00 MiB");
  cr_assert_str_eq(arch_format_size(1982464, buf, sizeof buf), "1.89 MiB");
}

Test(arch, presets_carry_the_design_constants) {
  arch_t a;
  cr_assert_eq(arch_preset("vpu27", &a, NULL), SCHED_OK);
  cr_assert_eq(a.tiles, 2);
  cr_assert_eq(a.dpus_per_tile, 1);
  cr_assert_eq(a.macs_per_cycle_int8, 2048);
  cr_assert_float_eq(a.dpu_clock_mhz, 1300.0, 1e-9);
  cr_assert_eq(a.cmx_bytes, 2097152);
  cr_assert_eq(a.cmx_workspace_bytes, 1936 * 1024);
  cr_assert_eq(a.dma_ports, 2);
  cr_assert_float_eq(a.ddr_bandwidth_gbps, 27.0, 1e-9);
  cr_assert_float_eq(a.dma_latency_ns, 956.0, 1e-9);
  cr_assert_eq(a.barriers, 64);
  cr_assert_eq(a.barrier_slots, 128); /* NPU37XX: 256 variants, half each side */
  cr_assert_eq(a.soh_hw_align, 4);
  cr_assert_eq(a.n_mpe_modes, 3);
  cr_assert_float_eq(a.fit_isolated, 0.90, 1e-9);
  cr_assert_float_eq(a.fit_pipelined, 0.85, 1e-9);
  cr_assert_eq(arch_verify(&a, NULL), SCHED_OK);

  cr_assert_eq(arch_preset("vpu20", &a, NULL), SCHED_OK);
  cr_assert_eq(a.tiles, 4);
  cr_assert_eq(a.dpus_per_tile, 5);
  cr_assert_eq(a.macs_per_cycle_int8, 256);
  cr_assert_eq(a.cmx_workspace_bytes, 896 * 1024);
  cr_assert_eq(a.barriers, 32);
  cr_assert_eq(a.shaves, 16);
  cr_assert_eq(a.mpe_modes[0], ARCH_MPE_VECTOR);
  cr_assert_eq(arch_verify(&a, NULL), SCHED_OK);

  cr_assert_eq(arch_preset("vpu40", &a, NULL), SCHED_OK);
  cr_assert_eq(a.tiles, 6);
  cr_assert_eq(a.cmx_bytes, 1536 * 1024);
  cr_assert_eq(a.cmx_workspace_bytes, 1440 * 1024);
  cr_assert_eq(a.barriers, 96);
  cr_assert_eq(a.barrier_slots, 128); /* NPU40XX with workload management */
  cr_assert_eq(a.soh_hw_align, 1);    /* no SOH row alignment off NPU3XXX */
  cr_assert_float_eq(a.dpu_clock_mhz, 1700.0, 1e-9);
  cr_assert_float_eq(a.ddr_bandwidth_gbps, 136.0, 1e-9);
  cr_assert(a.has_sow);
  cr_assert_eq(arch_verify(&a, NULL), SCHED_OK);
}

Test(arch, presets_name_the_source_of_their_constants) {
  const char *const names[] = {"vpu20", "vpu27", "vpu40"};
  for (int i = 0; i < 3; i++) {
    arch_t a;
    cr_assert_eq(arch_preset(names[i], &a, NULL), SCHED_OK);
    cr_assert(strstr(a.sources, "npu-nn-cost-model") || strstr(a.sources, "vpux_plugin"), "%s",
              names[i]);
  }
  arch_t a;
  arch_preset("vpu40", &a, NULL);
  cr_assert(strstr(a.sources, "VPU4_0_HWCharacteristics_v0"));
}

Test(arch, vpu40_compiler_file_takes_the_reference_compilers_clock_and_ddr) {
  arch_t a;
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_load(SCHED_SOURCE_DIR "/arch/presets/vpu40_compiler.json", &a, &d), SCHED_OK,
               "%s", d.msg);
  cr_assert_str_eq(a.name, "vpu40-compiler");
  cr_assert_float_eq(a.dpu_clock_mhz, 1850.0, 1e-9);
  cr_assert_float_eq(a.ddr_bandwidth_gbps, 45.0, 1e-9);
  cr_assert_eq(a.tiles, 6);
  cr_assert(strstr(a.sources, "getDpuFrequency"));
}

Test(arch, unknown_preset_lists_the_known_ones) {
  arch_t a;
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_load("vpu28", &a, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "unknown arch 'vpu28' (presets: vpu20 = KMB, vpu27 = NPU37XX, "
                          "vpu40 = NPU40XX; targets: artpec7, artpec8, artpec9, cv25)");
}

Test(arch, the_reference_compilers_platform_names_are_aliases) {
  const char *const alias[] = {"NPU37XX", "npu40xx", "KMB"}, *const preset[] = {"vpu27", "vpu40",
                                                                                "vpu20"};
  for (int i = 0; i < 3; i++) {
    arch_t a;
    sched_diag_t d = {{0}};
    cr_assert_eq(arch_load(alias[i], &a, &d), SCHED_OK, "%s: %s", alias[i], d.msg);
    cr_expect_str_eq(a.name, preset[i]);
  }
}

Test(arch, arch_file_overrides_fields_of_its_base) {
  arch_t a;
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_load(DATA "arch_override.json", &a, &d), SCHED_OK, "%s", d.msg);
  cr_assert_str_eq(a.name, "arch_override");
  cr_assert_eq(a.tiles, 4);
  cr_assert_eq(a.cmx_workspace_bytes, 1048576);
  cr_assert_float_eq(a.cost.conv_efficiency, 0.5, 1e-12);
  cr_assert_float_eq(a.cost.mode_efficiency[ARCH_MPE_CUBOID_4x16], 0.5, 1e-12);
  cr_assert_eq(a.macs_per_cycle_int8, 2048); /* untouched fields keep the base's value */
}

Test(arch, arch_file_unknown_key_or_wrong_type_names_the_key) {
  arch_t a;
  sched_diag_t d = {{0}};
  cr_assert_eq(arch_load(DATA "arch_unknown_key.json", &a, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "arch file " DATA "arch_unknown_key.json: unknown key 'tilez'");
  cr_assert_eq(arch_load(DATA "arch_wrong_type.json", &a, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "arch file " DATA
                          "arch_wrong_type.json: key 'cost.workload_overhead_cycles' must be an "
                          "integer");
}

Test(arch, cmx_budget_must_fit_the_physical_cmx) {
  arch_t a;
  sched_diag_t d = {{0}};
  arch_preset("vpu27", &a, NULL);
  cr_assert_eq(arch_set_cmx(&a, 1048576, &d), SCHED_OK);
  cr_assert_eq(a.cmx_workspace_bytes, 1048576);
  cr_assert_eq(arch_set_cmx(&a, 4194304, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "CMX budget 4.00 MiB (4194304 bytes) is larger than the physical CMX "
                          "of vpu27, 2.00 MiB (2097152 bytes) per tile");
  cr_assert_eq(arch_set_cmx(&a, 0, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "CMX budget must be positive, got 0 bytes (physical CMX of vpu27: "
                          "2.00 MiB, 2097152 bytes per tile)");
  cr_assert_eq(a.cmx_workspace_bytes, 1048576);
}

Test(arch, verify_names_the_bad_field) {
  arch_t a;
  sched_diag_t d = {{0}};
  arch_preset("vpu27", &a, NULL);
  a.tiles = 0;
  cr_assert_eq(arch_verify(&a, &d), SCHED_ERR_INPUT);
  cr_assert_str_eq(d.msg, "arch vpu27: tiles must be in [1, 64], got 0");
}

Test(arch, describe_prints_key_value_unit_lines) {
  arch_t a;
  arch_preset("vpu27", &a, NULL);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  arch_describe(&a, f);
  fclose(f);
  cr_assert(strstr(text, "# arch: vpu27\n"));
  cr_assert(strstr(text, "# tiles: 2 clusters\n"));
  cr_assert(strstr(text, "# dpu_clock_mhz: 1300 MHz\n"));
  cr_assert(strstr(text, "# cmx_workspace_bytes: 1982464 bytes/tile (1.89 MiB)\n"));
  cr_assert(strstr(text, "# mpe_modes: 16x16,8x16,4x16\n"));
  cr_assert(strstr(text, "# sources: dpu_clock_mhz, ddr_bandwidth_gbps"));
  for (char *line = text; *line; line = strchr(line, '\n') + 1)
    cr_assert(strncmp(line, "# ", 2) == 0);
  free(text);
}

Test(arch, cycles_and_microseconds_convert_at_the_dpu_clock) {
  arch_t a;
  arch_preset("vpu27", &a, NULL);
  cr_assert_float_eq(arch_cycles_to_us(&a, 1300), 1.0, 1e-12);
  cr_assert_eq(arch_us_to_cycles(&a, 2.5), 3250);
}

Test(arch, mpe_modes_parse_and_name) {
  arch_mpe_mode_t m;
  cr_assert_eq(arch_mpe_mode_parse("16x16", &m), SCHED_OK);
  cr_assert_eq(m, ARCH_MPE_CUBOID_16x16);
  cr_assert_eq(arch_mpe_mode_parse("CUBOID_4x16", &m), SCHED_OK);
  cr_assert_eq(m, ARCH_MPE_CUBOID_4x16);
  cr_assert_eq(arch_mpe_mode_parse("5x16", &m), SCHED_ERR_INPUT);
  cr_assert_str_eq(arch_mpe_mode_name(ARCH_MPE_CUBOID_8x16), "8x16");
  arch_mpe_grid_t g = arch_mpe_grid(ARCH_MPE_CUBOID_16x16);
  cr_assert_eq(g.w * g.h, 16);
  cr_assert_eq(g.c, 16);
}
