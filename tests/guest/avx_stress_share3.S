/*
 * avx_stress.S with three vCPUs: svm_avx_stress_share.scn and
 * vmx_avx_stress_share_bochs.scn run them on one CPU, so that every
 * check follows a switch between vCPUs now and then.
 */
#define NR_VCPUS 3
#include "avx_stress.S"
