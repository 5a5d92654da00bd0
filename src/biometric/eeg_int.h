/*
 * eeg_int.h — what the files of src/biometric share and nobody else needs.
 */
#ifndef NQ_BIOMETRIC_EEG_INT_H
#define NQ_BIOMETRIC_EEG_INT_H

/* FFTW's planner is global and not thread-safe: plan creation and destruction happen between
 * these two calls (eeg_psd.c holds the mutex). */
void eeg_fftw_lock(void);
void eeg_fftw_unlock(void);

#endif
