/* SPDX-License-Identifier: BSD-3-Clause */
/* placeholder until svrctl lands */
int main(void)
{
	return 1;
}
