"""Sharing (数据共享, Art. 37-42, 50, 64(2)): applications, commitments, dual approval, grants, delivery."""
