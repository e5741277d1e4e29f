/*
 * avx_stress.S with four vCPUs: svm_avx_stress_smp2.scn runs them on two
 * CPUs, two vCPUs taking turns on each.
 */
#define NR_VCPUS 4
#include "avx_stress.S"
