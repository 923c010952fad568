# %% [markdown]
# # Tutorial

# %%
print(1)
